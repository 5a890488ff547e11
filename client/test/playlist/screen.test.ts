import { describe, expect, it } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import { PlaylistStore } from '../../src/lib/playlist/store.svelte.ts'
import {
  applyOp,
  emptyPlaylist,
  itemKey,
  makeAdd,
  makeSelect,
  parsePlaylistOp,
  parsePlaylistSnapshot,
  playlistItems,
  selectedItem,
  toSnapshot,
  type PlaylistState,
} from '../../src/lib/playlist/playlist.ts'
import { expectWarning } from '../console.ts'
import { Members } from './members.svelte.ts'

const film = {
  torrentId: `magnet:?xt=urn:btih:${'1'.repeat(40)}&dn=film`,
  infoHash: '1'.repeat(40),
  title: 'film',
}
const screenOf = (owner: string, resume?: string) =>
  ({ kind: 'screen', owner, title: `${owner}'s screen`, ...(resume ? { resume } : {}) }) as const

/** Stores in one room, their messages delivered synchronously as JSON; who is present is `members`. */
class Room {
  readonly features = new Map<string, RoomFeature>()
  readonly members = new Members(['a', 'b', 'c'])

  member(selfId: string): FeatureHost {
    const members = this.members
    return {
      selfId,
      host: 'a',
      get memberList() {
        return members.list
      },
      canControlPlayback: () => true,
      registerFeature: (_name: string, feature: RoomFeature): FeatureHandle => {
        this.features.set(selfId, feature)
        return {
          send: (body) => this.deliver(selfId, body),
          unregister: () => this.features.delete(selfId),
        }
      },
    }
  }

  /** A body from `from` to everyone else (also what a modified client sends). */
  deliver(from: string, body: unknown): void {
    const wire: unknown = JSON.parse(JSON.stringify(body))
    for (const [id, other] of this.features) if (id !== from) other.onMessage(from, wire)
  }
}

describe('screen items (pure)', () => {
  it('are listed while their owner is present; a selected one gives way to the item before it', () => {
    let state: PlaylistState = emptyPlaylist()
    const addFilm = makeAdd(state, 'b', film)
    state = applyOp(state, addFilm)
    state = applyOp(state, makeSelect(state, 'b', addFilm.id))
    const addScreen = makeAdd(state, 'a', screenOf('a', addFilm.id ?? undefined))
    state = applyOp(state, addScreen)
    state = applyOp(state, makeSelect(state, 'a', addScreen.id))

    const here = (id: string) => id === 'a' || id === 'b'
    expect(playlistItems(state, here).map((i) => i.title)).toEqual(['film', "a's screen"])
    expect(selectedItem(state, here)?.id).toBe(addScreen.id)

    const gone = (id: string) => id === 'b'
    expect(playlistItems(state, gone).map((i) => i.title)).toEqual(['film'])
    expect(selectedItem(state, gone)?.id).toBe(addFilm.id)
    expect(itemKey(screenOf('a'))).not.toBe(itemKey(screenOf('b')))
  })

  it('are refused on the wire unless stamped by their owner', () => {
    const state = emptyPlaylist()
    const own = makeAdd(state, 'a', screenOf('a'))
    expect(parsePlaylistOp(JSON.parse(JSON.stringify(own))).ok).toBe(true)
    const forged = makeAdd(state, 'b', screenOf('a'))
    const parsed = parsePlaylistOp(JSON.parse(JSON.stringify(forged)))
    expect(parsed.ok).toBe(false)

    const snapshot = toSnapshot(applyOp(state, forged))
    expect(parsePlaylistSnapshot(JSON.parse(JSON.stringify(snapshot))).ok).toBe(false)
    expect(parsePlaylistSnapshot(JSON.parse(JSON.stringify(toSnapshot(applyOp(state, own))))).ok).toBe(true)
  })
})

describe('screen items in the store', () => {
  it('a share is the current item everywhere; ending it goes back to the film', () => {
    const room = new Room()
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new PlaylistStore(room.member(id))) as [
      PlaylistStore,
      PlaylistStore,
      PlaylistStore,
    ]
    const filmId = b.add(film)!
    const screenId = a.shareScreen("A's screen")!
    for (const store of [a, b, c])
      expect(store.selected).toMatchObject({ id: screenId, kind: 'screen', owner: 'a' })

    // Only its owner takes it away: another member's remove is not made, and a forged one is dropped.
    b.remove(screenId)
    expect(c.items.map((i) => i.id)).toContain(screenId)
    room.deliver('b', { type: 'remove', stamp: { counter: b.state.clock + 1, peer: 'b' }, id: screenId })
    // Both a and c refuse it.
    expectWarning(/b may not remove another member's screen/)
    expectWarning(/b may not remove another member's screen/)
    expect(c.selected?.id).toBe(screenId)

    a.endScreen()
    for (const store of [a, b, c]) {
      expect(store.selected?.id).toBe(filmId)
      expect(store.items.map((i) => i.id)).toEqual([filmId])
    }
  })

  it('leaves the stage when its owner leaves the room', () => {
    const room = new Room()
    const a = new PlaylistStore(room.member('a'))
    const b = new PlaylistStore(room.member('b'))
    const filmId = a.add(film)!
    a.shareScreen("A's screen")
    expect(b.selected?.kind).toBe('screen')
    room.members.set(['b', 'c'])
    expect(b.selected?.id).toBe(filmId)
    expect(b.items.some((i) => i.kind === 'screen')).toBe(false)
  })

  it("a member cannot put someone else's screen on the stage", () => {
    const room = new Room()
    const b = new PlaylistStore(room.member('b'))
    // An add stamped by the sender but naming another owner.
    const forged = makeAdd(b.state, 'c', screenOf('a'))
    room.deliver('c', forged)
    expectWarning(/ignored an op from c/)
    // A snapshot that relays a screen item stamped as its owner's: only the owner's own hello brings one.
    const relayed = applyOp(emptyPlaylist(), makeAdd(emptyPlaylist(), 'a', screenOf('a')))
    const relayedSelect = applyOp(relayed, makeSelect(relayed, 'c', [...relayed.entries.keys()][0]!))
    room.features.get('b')!.applySnapshot!('c', JSON.parse(JSON.stringify(toSnapshot(relayedSelect))))
    expectWarning(/left out 1 screen item/)
    expect(b.items).toEqual([])
    expect(b.selected).toBeNull()
    room.features.get('b')!.applySnapshot!('a', JSON.parse(JSON.stringify(toSnapshot(relayedSelect))))
    expect(b.selected?.kind).toBe('screen')
  })

  it('a screen item of ours the room kept from before is taken away on joining', () => {
    const room = new Room()
    const b = new PlaylistStore(room.member('b'))
    const old = applyOp(emptyPlaylist(), makeAdd(emptyPlaylist(), 'a', screenOf('a')))
    room.features.get('b')!.applySnapshot!('a', JSON.parse(JSON.stringify(toSnapshot(old))))
    expect(b.items).toHaveLength(1)
    const a = new PlaylistStore(room.member('a'))
    room.features.get('a')!.applySnapshot!('b', JSON.parse(JSON.stringify(toSnapshot(b.state))))
    expect(a.items).toEqual([])
    expect(b.items).toEqual([])
  })
})
