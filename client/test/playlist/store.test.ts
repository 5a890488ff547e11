import { describe, expect, it } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import { PLAYLIST_FEATURE, PlaylistStore } from '../../src/lib/playlist/store.svelte.ts'
import { applyOp, makeAdd, emptyPlaylist, toSnapshot } from '../../src/lib/playlist/playlist.ts'
import { counterCeiling } from '../../src/lib/playlist/wire.ts'
import { expectWarning } from '../console.ts'

const HASH = 'a'.repeat(40)
const item = (n: number) => ({
  torrentId: `magnet:?xt=urn:btih:${String(n).repeat(40).slice(0, 40)}&dn=v${n}`,
  infoHash: String(n).repeat(40).slice(0, 40),
  title: `video ${n}`,
})

/** A room of stores whose feature messages are delivered synchronously, JSON-encoded, tagged with the sender. */
class FakeRooms {
  readonly features = new Map<string, RoomFeature>()
  locked = false
  host = 'a'

  member(selfId: string): FeatureHost {
    return {
      selfId,
      // the playlist store reads neither the host nor the member list
      host: this.host,
      memberList: [],
      canControlPlayback: (peerId = selfId) => !this.locked || peerId === this.host,
      registerFeature: (name: string, feature: RoomFeature): FeatureHandle => {
        expect(name).toBe(PLAYLIST_FEATURE)
        this.features.set(selfId, feature)
        return {
          send: (body) => {
            const wire: unknown = JSON.parse(JSON.stringify(body))
            for (const [id, other] of this.features) if (id !== selfId) other.onMessage(selfId, wire)
          },
          unregister: () => this.features.delete(selfId),
        }
      },
    }
  }

  /** A newcomer's hello: everyone's snapshot. */
  hello(newcomer: string): void {
    const target = this.features.get(newcomer)!
    for (const [id, feature] of this.features) {
      if (id !== newcomer) target.applySnapshot?.(id, JSON.parse(JSON.stringify(feature.snapshot?.())))
    }
  }
}

const titles = (store: PlaylistStore) => store.items.map((i) => i.title)

describe('PlaylistStore', () => {
  it('edits reach every member; the first item added is selected; a newcomer merges the snapshot', () => {
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'))
    const b = new PlaylistStore(rooms.member('b'))
    const first = a.add(item(1))
    b.add(item(2))
    a.add(item(3))
    expect(titles(a)).toEqual(['video 1', 'video 2', 'video 3'])
    expect(titles(b)).toEqual(titles(a))
    expect(b.selected?.id).toBe(first)

    a.move(first!, 2)
    expect(titles(b)).toEqual(['video 2', 'video 3', 'video 1'])
    b.move(first!, 1)
    expect(titles(a)).toEqual(['video 2', 'video 1', 'video 3'])
    const third = a.items[2]!.id
    b.select(third, 1)
    expect(a.selected).toMatchObject({ id: third, fileIndex: 1 })
    a.remove(b.items[0]!.id)
    expect(titles(b)).toEqual(['video 1', 'video 3'])

    const c = new PlaylistStore(rooms.member('c'))
    rooms.hello('c')
    expect(titles(c)).toEqual(titles(a))
    expect(c.selected?.id).toBe(third)
    for (const store of [a, b, c]) store.destroy()
    expect(rooms.features.size).toBe(0)
  })

  it('a torrent added by two members at once is listed once; removing it removes both adds', () => {
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'))
    const b = new PlaylistStore(rooms.member('b'))
    const mine = a.add(item(5))
    // c added the same torrent before it saw a's add: its op has the same counter, and comes later.
    const theirs = makeAdd(emptyPlaylist(), 'c', { ...item(5), title: 'the same, renamed' })
    if (theirs.type !== 'add') throw new Error('makeAdd made another op')
    for (const store of ['a', 'b'])
      rooms.features.get(store)!.onMessage('c', JSON.parse(JSON.stringify(theirs)))
    for (const store of [a, b]) {
      expect(titles(store)).toEqual(['video 5'])
      expect(store.selected?.id).toBe(mine)
    }
    b.remove(mine!)
    for (const store of [a, b]) {
      expect(store.items).toEqual([])
      expect(store.state.entries.get(theirs.id)?.removed).toBe(true)
    }
  })

  it('adding a torrent that is listed already selects that item for everyone instead of a second one', () => {
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'))
    const b = new PlaylistStore(rooms.member('b'))
    const first = a.add(item(1))
    const second = a.add(item(2))
    expect(b.selected?.id).toBe(first)
    // b pastes the magnet of the second item under another name: it plays, for the whole room.
    const pasted = b.addOrSelect({ ...item(2), title: 'pasted again' })
    expect(pasted).toEqual({ kind: 'selected', item: expect.objectContaining({ id: second }) })
    for (const store of [a, b]) {
      expect(titles(store)).toEqual(['video 1', 'video 2'])
      expect(store.selected?.id).toBe(second)
    }
    // A torrent not listed yet is added as before.
    expect(b.addOrSelect(item(3))).toEqual({ kind: 'added', id: expect.any(String) })
    expect(titles(a)).toEqual(['video 1', 'video 2', 'video 3'])
    expect(a.selected?.id).toBe(second)
    rooms.locked = true
    expect(b.addOrSelect(item(1))).toBeNull()
    expect(a.selected?.id).toBe(second)
  })

  it('drops an op stamped by another peer than the channel it came on', () => {
    const rooms = new FakeRooms()
    const b = new PlaylistStore(rooms.member('b'))
    rooms.member('a') // registers nothing; we inject raw ops as if from a
    const forged = makeAdd(emptyPlaylist(), 'c', item(1))
    rooms.features.get('b')!.onMessage('a', forged)
    expect(b.items).toEqual([])
    expectWarning(/^playlist: ignored an op a stamped as another peer$/)
    const honest = makeAdd(emptyPlaylist(), 'a', item(1))
    rooms.features.get('b')!.onMessage('a', honest)
    expect(titles(b)).toEqual(['video 1'])
  })

  it('drops invalid ops and snapshots (a magnet that does not carry the claimed info hash)', () => {
    const rooms = new FakeRooms()
    const b = new PlaylistStore(rooms.member('b'))
    const op = makeAdd(emptyPlaylist(), 'a', { ...item(1), infoHash: HASH })
    rooms.features.get('b')!.onMessage('a', op)
    expectWarning(/^playlist: ignored an op from a: item: torrentId is not a magnet link for infoHash$/)
    rooms.features.get('b')!.applySnapshot?.('a', { version: 1, clock: 'x' })
    expectWarning(/^playlist: ignored a snapshot from a: clock: /)
    expect(b.items).toEqual([])
  })

  it('when the host locks the controls, only the host edits the playlist', () => {
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'))
    const b = new PlaylistStore(rooms.member('b'))
    a.add(item(1))
    rooms.locked = true
    expect(b.canEdit).toBe(false)
    expect(b.add(item(2))).toBeNull()
    b.remove(a.items[0]!.id)
    expect(titles(a)).toEqual(['video 1'])
    // A member that edits anyway (an old tab, a modified client): the others drop it.
    rooms.features.get('a')!.onMessage('b', makeAdd(b.state, 'b', item(2)))
    expect(titles(a)).toEqual(['video 1'])
    expectWarning(/^playlist: b may not edit \(locked\)$/)
    a.add(item(3))
    expect(titles(b)).toEqual(['video 1', 'video 3'])
  })

  it('drops a counter beyond our clock, and a counter pushed to the ceiling does not stop later edits', () => {
    let now = 1_000_000
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'), () => now)
    const b = new PlaylistStore(rooms.member('b'), () => now)
    rooms.member('m') // a modified page: raw ops as if from m
    const huge = { ...makeAdd(emptyPlaylist(), 'm', item(1)), stamp: { counter: 2 ** 50, peer: 'm' } }
    rooms.features.get('a')!.onMessage('m', huge)
    expectWarning(/^playlist: ignored an op from m: counter \d+ is beyond our clock$/)
    rooms.features.get('a')!.applySnapshot?.('m', { version: 1, clock: 2 ** 50, selected: null, entries: [] })
    expectWarning(/^playlist: ignored a snapshot from m: clock \d+ is beyond our clock$/)
    expect(a.state.clock).toBe(0)
    // At the ceiling: accepted, and the next edits still go through everywhere.
    const ceiling = {
      ...makeAdd(emptyPlaylist(), 'm', item(2)),
      stamp: { counter: counterCeiling(now), peer: 'm' },
    }
    for (const id of ['a', 'b']) rooms.features.get(id)!.onMessage('m', JSON.parse(JSON.stringify(ceiling)))
    now += 1_000 // people edit a moment later: the ceiling has moved on by a thousand
    a.add(item(3))
    b.add(item(4))
    expect(titles(a)).toEqual(['video 2', 'video 3', 'video 4'])
    expect(titles(b)).toEqual(titles(a))
  })

  it("holds a snapshot to the lock: one from a member who may not edit is dropped, the host's is merged", () => {
    const rooms = new FakeRooms()
    const a = new PlaylistStore(rooms.member('a'))
    const b = new PlaylistStore(rooms.member('b'))
    a.add(item(1))
    rooms.locked = true
    const c = new PlaylistStore(rooms.member('c'))
    // b's snapshot claims an edit b was never allowed to make.
    const forged = toSnapshot(applyOp(b.state, makeAdd(b.state, 'b', item(2))))
    rooms.features.get('c')!.applySnapshot?.('b', JSON.parse(JSON.stringify(forged)))
    expectWarning(/^playlist: ignored a snapshot from b: the host locked the controls$/)
    rooms.features.get('c')!.applySnapshot?.('a', JSON.parse(JSON.stringify(toSnapshot(a.state))))
    expect(titles(c)).toEqual(['video 1'])
  })
})
