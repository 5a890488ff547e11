import { describe, expect, it } from 'vitest'
import { keyBetween, ORDER_KEY } from '../../src/lib/playlist/order-key.ts'
import {
  applyOp,
  emptyPlaylist,
  makeAdd,
  makeMove,
  makeReady,
  makeRemove,
  lostDrops,
  makeSelect,
  mergeSnapshot,
  parsePlaylistOp,
  parsePlaylistSnapshot,
  playlistItems,
  sameTorrent,
  selectedItem,
  toSnapshot,
  itemKey,
  type PlaylistItemData,
  type TorrentItemData,
  type PlaylistOp,
  type PlaylistState,
} from '../../src/lib/playlist/playlist.ts'

/** A small seeded generator (mulberry32): failures reproduce from the seed in the test name. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: readonly T[], rnd: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

function video(n: number): TorrentItemData {
  const infoHash = n.toString(16).padStart(40, '0')
  return { torrentId: `magnet:?xt=urn:btih:${infoHash}&dn=v${n}`, infoHash, title: `Video ${n}` }
}

/** Applies an op made from the state, as a local edit does. */
function edit(state: PlaylistState, make: (s: PlaylistState) => PlaylistOp): [PlaylistState, PlaylistOp] {
  const op = make(state)
  return [applyOp(state, op), op]
}

const titles = (s: PlaylistState) => playlistItems(s).map((i) => i.title)
function threeItems(): PlaylistState {
  let s = emptyPlaylist()
  for (const n of [1, 2, 3]) [s] = edit(s, (x) => makeAdd(x, 'carol', video(n)))
  return s
}

const view = (s: PlaylistState) => ({ items: playlistItems(s), selected: selectedItem(s)?.id ?? null })

describe('order keys', () => {
  it('always fall strictly between their neighbours, with or without salt', () => {
    const rnd = random(7)
    const keys: string[] = []
    for (let n = 0; n < 2000; n++) {
      const i = Math.floor(rnd() * (keys.length + 1))
      const key = keyBetween(keys[i - 1] ?? null, keys[i] ?? null, rnd() < 0.5 ? `p:${n}` : '')
      expect(key).toMatch(ORDER_KEY)
      if (i > 0) expect(key > (keys[i - 1] as string)).toBe(true)
      if (i < keys.length) expect(key < (keys[i] as string)).toBe(true)
      keys.splice(i, 0, key)
    }
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThan(120)
  })

  it('differ for two peers inserting at the same spot', () => {
    expect(keyBetween('a', 'b', 'alice:3')).not.toBe(keyBetween('a', 'b', 'bob:3'))
  })

  it('refuse an empty interval', () => {
    expect(() => keyBetween('b', 'a')).toThrow(RangeError)
  })
})

describe('local edits', () => {
  it('adds, inserts, moves, selects and removes', () => {
    let s = emptyPlaylist()
    ;[s] = edit(s, (x) => makeAdd(x, 'alice', video(1)))
    ;[s] = edit(s, (x) => makeAdd(x, 'alice', video(2)))
    ;[s] = edit(s, (x) => makeAdd(x, 'alice', video(3), { index: 0 }))
    expect(titles(s)).toEqual(['Video 3', 'Video 1', 'Video 2'])

    const [first, , third] = playlistItems(s).map((i) => i.id) as [string, string, string]
    ;[s] = edit(s, (x) => makeMove(x, 'alice', first, 2))
    expect(titles(s)).toEqual(['Video 1', 'Video 2', 'Video 3'])
    ;[s] = edit(s, (x) => makeMove(x, 'alice', third, 0))
    expect(titles(s)).toEqual(['Video 2', 'Video 1', 'Video 3'])

    ;[s] = edit(s, (x) => makeSelect(x, 'alice', first, 4))
    expect(selectedItem(s)).toMatchObject({ title: 'Video 3', fileIndex: 4, addedBy: 'alice' })
    ;[s] = edit(s, (x) => makeRemove(x, 'alice', first))
    expect(titles(s)).toEqual(['Video 2', 'Video 1'])
    expect(selectedItem(s)).toBeNull()
  })

  it('moves to the front and to the end', () => {
    let s = emptyPlaylist()
    for (const n of [1, 2, 3, 4]) [s] = edit(s, (x) => makeAdd(x, 'a', video(n)))
    const id = (t: string) => playlistItems(s).find((i) => i.title === t)?.id as string
    ;[s] = edit(s, (x) => makeMove(x, 'a', id('Video 3'), 0))
    expect(titles(s)).toEqual(['Video 3', 'Video 1', 'Video 2', 'Video 4'])
    ;[s] = edit(s, (x) => makeMove(x, 'a', id('Video 3'), 99))
    expect(titles(s)).toEqual(['Video 1', 'Video 2', 'Video 4', 'Video 3'])
  })

  it('stamps local ops after every counter it has seen', () => {
    let s = emptyPlaylist()
    s = applyOp(s, { type: 'select', stamp: { counter: 41, peer: 'bob' }, id: null })
    const op = makeAdd(s, 'alice', video(1))
    expect(op.stamp).toEqual({ counter: 42, peer: 'alice' })
    expect(op.type === 'add' && op.id).toBe('alice:42')
  })
})

describe('concurrent edits', () => {
  /** Alice's and Bob's concurrent ops, made from the same playlist and delivered in both orders. */
  function exchange(base: PlaylistState, fromAlice: PlaylistOp, fromBob: PlaylistOp): PlaylistState {
    const alice = applyOp(applyOp(base, fromAlice), fromBob)
    const bob = applyOp(applyOp(base, fromBob), fromAlice)
    expect(view(alice)).toEqual(view(bob))
    return alice
  }

  it('remove wins over a concurrent move', () => {
    const base = threeItems()
    const first = playlistItems(base)[0]?.id as string
    const after = exchange(base, makeMove(base, 'alice', first, 2), makeRemove(base, 'bob', first))
    expect(titles(after)).toEqual(['Video 2', 'Video 3'])
  })

  it('a selection of a concurrently removed item selects nothing', () => {
    const base = threeItems()
    const first = playlistItems(base)[0]?.id as string
    expect(
      selectedItem(exchange(base, makeSelect(base, 'alice', first), makeRemove(base, 'bob', first))),
    ).toBeNull()
  })

  it('the later of two concurrent moves of one item wins, the same on both sides', () => {
    const base = threeItems()
    const first = playlistItems(base)[0]?.id as string
    const toEnd = makeMove(base, 'alice', first, 2)
    const toMiddle = makeMove(base, 'bob', first, 1)
    // Same counter: the peer id decides ("bob" > "alice").
    expect(view([toEnd, toMiddle].reduce(applyOp, base))).toEqual(
      view([toMiddle, toEnd].reduce(applyOp, base)),
    )
    expect(titles([toEnd, toMiddle].reduce(applyOp, base))).toEqual(['Video 2', 'Video 1', 'Video 3'])
  })

  it('two adds at the same spot keep both items between the same neighbours', () => {
    const base = threeItems()
    const after = exchange(
      base,
      makeAdd(base, 'alice', video(10), { index: 1 }),
      makeAdd(base, 'bob', video(11), { index: 1 }),
    )
    expect(titles(after)).toHaveLength(5)
    expect(titles(after).slice(1, 3).sort()).toEqual(['Video 10', 'Video 11'])
  })

  it('two concurrent adds of one torrent show once, the earlier add, the same on both sides', () => {
    const base = threeItems()
    const fromAlice = makeAdd(base, 'alice', video(7))
    const fromBob = makeAdd(base, 'bob', { ...video(7), title: "Bob's name for it" })
    if (fromAlice.type !== 'add' || fromBob.type !== 'add') throw new Error('makeAdd made another op')
    const after = exchange(base, fromAlice, fromBob)
    // Same counter: the peer id orders the adds ("alice" < "bob").
    expect(titles(after)).toEqual(['Video 1', 'Video 2', 'Video 3', 'Video 7'])
    expect(playlistItems(after)[3]).toMatchObject({ id: fromAlice.id, addedBy: 'alice' })
    // Each selected its own add (nothing was selected): either way the room plays the one visible item.
    const selected = exchange(
      after,
      makeSelect(after, 'alice', fromAlice.id),
      makeSelect(after, 'bob', fromBob.id),
    )
    expect(selectedItem(selected)?.id).toBe(fromAlice.id)
    // Removing the item removes the hidden add too, so it can't come back.
    let removed = selected
    for (const id of sameTorrent(removed, fromAlice.id))
      removed = applyOp(removed, makeRemove(removed, 'carol', id))
    expect(sameTorrent(selected, fromAlice.id).sort()).toEqual([fromAlice.id, fromBob.id].sort())
    expect(titles(removed)).toEqual(['Video 1', 'Video 2', 'Video 3'])
    expect(selectedItem(removed)).toBeNull()
    // One entry for the torrent, not one per add.
    expect(playlistItems(after).filter((i) => itemKey(i) === video(7).infoHash)).toHaveLength(1)
  })

  it('a move that arrives before its add still applies', () => {
    const [s1, add1] = edit(emptyPlaylist(), (x) => makeAdd(x, 'alice', video(1)))
    const [s2, add2] = edit(s1, (x) => makeAdd(x, 'alice', video(2)))
    const [alice, move] = edit(s2, (x) => makeMove(x, 'alice', add1.id ?? '', 1))
    expect(titles(alice)).toEqual(['Video 2', 'Video 1'])
    // Until its add arrives the moved item isn't shown; then it is, in its moved place.
    expect(titles(applyOp(emptyPlaylist(), move))).toEqual([])
    expect(view([move, add2, add1].reduce(applyOp, emptyPlaylist()))).toEqual(view(alice))
  })

  it('a removed item leaves only a tombstone in snapshots', () => {
    const base = threeItems()
    const first = playlistItems(base)[0]?.id as string
    const entries = toSnapshot(applyOp(base, makeRemove(base, 'bob', first))).entries
    expect(entries.find((e) => e.id === first)).toEqual({ id: first, removed: true })
  })

  it('applying an op twice changes nothing', () => {
    const [s, op] = edit(emptyPlaylist(), (x) => makeAdd(x, 'alice', video(1)))
    expect(view(applyOp(s, op))).toEqual(view(s))
  })

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random edits by three peers converge (seed %i)', (seed) => {
    const rnd = random(seed)
    const peers = ['alice', 'bob', 'carol']
    const states = new Map(peers.map((p) => [p, emptyPlaylist()]))
    const log: PlaylistOp[] = []
    for (let step = 0; step < 120; step++) {
      const peer = peers[Math.floor(rnd() * peers.length)] as string
      let s = states.get(peer) as PlaylistState
      // Sometimes catch up on a random part of what others did: peers see different histories.
      if (rnd() < 0.3) for (const op of log) if (rnd() < 0.5) s = applyOp(s, op)
      const items = playlistItems(s)
      const pick = () => items[Math.floor(rnd() * items.length)]?.id ?? 'nobody:1'
      const r = rnd()
      const op =
        r < 0.35 || items.length === 0
          ? // now and then a torrent someone else may add too (concurrent duplicates show once)
            makeAdd(s, peer, video(rnd() < 0.25 ? 1000 + Math.floor(rnd() * 4) : step), {
              index: Math.floor(rnd() * (items.length + 1)),
            })
          : r < 0.55
            ? makeMove(s, peer, pick(), Math.floor(rnd() * items.length))
            : r < 0.7
              ? makeRemove(s, peer, pick())
              : makeSelect(
                  s,
                  peer,
                  rnd() < 0.1 ? null : pick(),
                  rnd() < 0.3 ? Math.floor(rnd() * 3) : undefined,
                )
      states.set(peer, applyOp(s, op))
      log.push(op)
    }
    // Every peer receives every op, in its own order and with duplicates.
    const finals = peers.map((p) =>
      shuffle([...log, ...log.slice(0, 20)], rnd).reduce(applyOp, states.get(p) as PlaylistState),
    )
    const expected = view(finals[0] as PlaylistState)
    for (const s of finals) expect(view(s)).toEqual(expected)
    expect(expected.items.length).toBeGreaterThan(0)

    // A newcomer merging the peers' snapshots, through JSON and validation, sees the same playlist.
    const newcomer = finals.reduce((acc, s) => {
      const parsed = parsePlaylistSnapshot(JSON.parse(JSON.stringify(toSnapshot(s))))
      if (!parsed.ok) throw new Error(parsed.error.message)
      return mergeSnapshot(acc, parsed.value)
    }, emptyPlaylist())
    expect(view(newcomer)).toEqual(expected)
    // A stale snapshot (from before the removals) can't bring removed items back.
    const stale = mergeSnapshot(newcomer, toSnapshot(log.slice(0, 60).reduce(applyOp, emptyPlaylist())))
    expect(view(stale)).toEqual(expected)
  })
})

describe('parsePlaylistOp', () => {
  const s = emptyPlaylist()
  const dropped = { kind: 'local' as const, localKey: 'b'.repeat(40), title: 'film.mp4', size: 1_000_000 }
  const add = makeAdd(s, 'alice', video(1), { fileIndex: 2 })
  const roundTrip = (op: unknown) => parsePlaylistOp(JSON.parse(JSON.stringify(op)))

  it("takes a dropped file's index offset within the file, and an item without one", () => {
    for (const item of [dropped, { ...dropped, indexAt: dropped.size - 1 }]) {
      const op = makeAdd(s, 'alice', item)
      expect(roundTrip(op)).toEqual({ ok: true, value: op })
    }
  })

  it('accepts every op kind after a JSON round trip', () => {
    const ops = [
      add,
      makeMove(s, 'a', 'a:1', 0),
      makeRemove(s, 'a', 'a:1'),
      makeSelect(s, 'a', null),
      makeSelect(s, 'a', 'x', 1),
    ]
    for (const op of ops) expect(roundTrip(op)).toEqual({ ok: true, value: op })
  })

  it.each([
    ['not an object', 'add'],
    ['unknown type', { ...add, type: 'clear' }],
    ['missing stamp', { ...add, stamp: undefined }],
    ['counter zero', { ...add, stamp: { counter: 0, peer: 'a' } }],
    ['counter beyond safe integers', { ...add, stamp: { counter: 2 ** 53, peer: 'a' } }],
    ['fractional counter', { ...add, stamp: { counter: 1.5, peer: 'a' } }],
    ['empty peer', { ...add, stamp: { counter: 1, peer: '' } }],
    ['peer id with a space', { ...add, stamp: { counter: 1, peer: 'a b' } }],
    ['bad key', { ...add, key: 'A' }],
    ['key ending in 0', { ...add, key: 'a0' }],
    ['negative file', { ...add, fileIndex: -1 }],
    ['title too long', { ...add, item: { ...video(1), title: 'x'.repeat(501) } }],
    [
      'upper-case info hash',
      { ...add, item: { ...video(0xabc), infoHash: video(0xabc).infoHash.toUpperCase() } },
    ],
    ['magnet for another torrent', { ...add, item: { ...video(1), torrentId: video(2).torrentId } }],
    ['not a magnet', { ...add, item: { ...video(1), torrentId: 'javascript:alert(1)' } }],
    ['select with number id', { type: 'select', stamp: { counter: 1, peer: 'a' }, id: 3 }],
    ['local index at its size', { ...add, item: { ...dropped, indexAt: dropped.size } }],
    ['local index at 0', { ...add, item: { ...dropped, indexAt: 0 } }],
    ['fractional local index', { ...add, item: { ...dropped, indexAt: 1.5 } }],
  ])('rejects %s', (_name, raw) => {
    const result = parsePlaylistOp(raw)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('ERR_INVALID')
  })
})

describe('parsePlaylistSnapshot', () => {
  it('rejects another version and malformed entries', () => {
    const snap = toSnapshot(applyOp(emptyPlaylist(), makeAdd(emptyPlaylist(), 'a', video(1))))
    expect(parsePlaylistSnapshot(snap).ok).toBe(true)
    expect(parsePlaylistSnapshot({ ...snap, version: 2 }).ok).toBe(false)
    expect(parsePlaylistSnapshot({ ...snap, entries: [{ id: 'x' }] }).ok).toBe(false)
    expect(parsePlaylistSnapshot(null).ok).toBe(false)
  })
})

describe('link items', () => {
  const link = (url: string, title = 'clip.mp4'): PlaylistItemData => ({ kind: 'url', url, title })
  const addOf = (item: unknown) => ({
    type: 'add',
    stamp: { counter: 1, peer: 'a' },
    id: 'a:1',
    key: 'a',
    item,
  })

  it('travel the wire and list next to torrents, one item per URL', () => {
    const url = 'https://media.example/films/clip.mp4'
    const parsed = parsePlaylistOp(addOf(link(url)))
    expect(parsed.ok).toBe(true)
    let state = emptyPlaylist()
    ;[state] = edit(state, (s) => makeAdd(s, 'alice', link(url)))
    ;[state] = edit(state, (s) => makeAdd(s, 'bob', video(1)))
    ;[state] = edit(state, (s) => makeAdd(s, 'bob', link(url, 'again')))
    ;[state] = edit(state, (s) => makeAdd(s, 'carol', link('https://media.example/live/index.m3u8', 'live')))
    expect(playlistItems(state).map((i) => i.title)).toEqual(['clip.mp4', 'Video 1', 'live'])
    const first = playlistItems(state)[0]!
    expect(itemKey(first)).toBe(`url:${url}`)
    expect(sameTorrent(state, first.id)).toHaveLength(2)
    const snapshot = parsePlaylistSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))))
    expect(snapshot.ok && playlistItems(mergeSnapshot(emptyPlaylist(), snapshot.value))).toEqual(
      playlistItems(state),
    )
  })

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:video/mp4;base64,AAAA'],
    ['blob:', 'blob:https://a.example/1234'],
    ['file:', 'file:///etc/passwd'],
    ['credentials', 'https://user:secret@media.example/a.mp4'],
    ['a huge URL', `https://media.example/${'a'.repeat(5000)}.mp4`],
    ['a URL not written as the parser writes it', 'HTTPS://media.example/a b.mp4'],
    ['white space', 'https://media.example/a\n.mp4'],
    ['no URL at all', 'not a link'],
  ])('refuse %s', (_name, url) => {
    const parsed = parsePlaylistOp(addOf(link(url)))
    expect(parsed.ok).toBe(false)
  })

  it('refuse a link item dressed as a torrent and a torrent without its magnet', () => {
    expect(parsePlaylistOp(addOf({ kind: 'url', torrentId: video(1).torrentId, title: 'x' })).ok).toBe(false)
    expect(parsePlaylistOp(addOf({ kind: 'torrent', url: 'https://a.example/a.mp4', title: 'x' })).ok).toBe(
      false,
    )
    expect(parsePlaylistOp(addOf({ ...video(1), kind: 'torrent' })).ok).toBe(true)
  })
})

describe('a dropped file shared before its torrent exists', () => {
  const local = { kind: 'local' as const, localKey: 'a'.repeat(40), title: 'film.webm', size: 1_000_000_000 }

  it('is listed at once and gains its torrent from its owner, keeping its id', () => {
    const [added, add] = edit(emptyPlaylist(), (x) => makeAdd(x, 'ana', local))
    let s = added
    expect(playlistItems(s)).toMatchObject([
      { id: add.id, kind: 'local', title: 'film.webm', addedBy: 'ana' },
    ])
    ;[s] = edit(s, (x) => makeReady(x, 'ana', `ana:${add.stamp.counter}`, video(7)))
    const [item] = playlistItems(s)
    expect(item).toMatchObject({ id: add.id, infoHash: video(7).infoHash, addedBy: 'ana' })
    expect(item?.local).toEqual({ localKey: local.localKey, size: local.size })
    expect(itemKey(item!)).toBe(video(7).infoHash)
  })

  it('is listed only while its owner is in the room, until it has its torrent', () => {
    const [s, add] = edit(emptyPlaylist(), (x) => makeAdd(x, 'ana', local))
    const id = `ana:${add.stamp.counter}`
    const [selected] = edit(s, (x) => makeSelect(x, 'bo', id))
    const anaLeft = (peer: string) => peer !== 'ana'
    // Nobody else has its bytes: it neither shows nor plays.
    expect(playlistItems(selected, anaLeft)).toEqual([])
    expect(selectedItem(selected, anaLeft)).toBeNull()
    expect(playlistItems(selected, () => true)).toHaveLength(1)
    // Hashed before she left: the torrent may be seeded by others, so it stays.
    const [ready] = edit(selected, (x) => makeReady(x, 'ana', id, video(7)))
    expect(playlistItems(ready, anaLeft)).toMatchObject([{ id, infoHash: video(7).infoHash }])
  })

  it('its owner finds it lost when the file is no longer in the tab (a reload)', () => {
    const [s, add] = edit(emptyPlaylist(), (x) => makeAdd(x, 'ana', local))
    const [both] = edit(s, (x) => makeAdd(x, 'ana', video(2)))
    const items = playlistItems(both)
    expect(lostDrops(items, 'ana', () => false).map((i) => i.id)).toEqual([`ana:${add.stamp.counter}`])
    expect(lostDrops(items, 'ana', (key) => key === local.localKey)).toEqual([])
    expect(lostDrops(items, 'bo', () => false)).toEqual([])
  })

  it('counts a ready op only from the owner, in ops and in snapshots, in any order', () => {
    const [s, add] = edit(emptyPlaylist(), (x) => makeAdd(x, 'ana', local))
    const id = `ana:${add.stamp.counter}`
    const real = makeReady(s, 'ana', id, video(7))
    // Stamped after the owner's: it must not win the register either.
    const forged = makeReady(applyOp(s, real), 'mallory', id, video(9))
    expect(playlistItems(applyOp(s, forged))[0]?.kind).toBe('local')
    for (const order of [
      [forged, real],
      [real, forged],
    ]) {
      const merged = order.reduce(applyOp, s)
      expect(playlistItems(merged)[0]).toMatchObject({ infoHash: video(7).infoHash })
      const viaSnapshot = mergeSnapshot(emptyPlaylist(), toSnapshot(merged))
      expect(playlistItems(viaSnapshot)).toEqual(playlistItems(merged))
    }
    // A ready op before its add (it came first) is kept and counted once the add is in.
    const early = applyOp(emptyPlaylist(), real)
    expect(playlistItems(applyOp(early, add))[0]).toMatchObject({ infoHash: video(7).infoHash })
  })

  it('validates a local item and a ready op on the wire', () => {
    expect(
      parsePlaylistOp({ type: 'add', stamp: { counter: 1, peer: 'ana' }, id: 'ana:1', key: 'm', item: local })
        .ok,
    ).toBe(true)
    expect(
      parsePlaylistOp({
        type: 'add',
        stamp: { counter: 1, peer: 'ana' },
        id: 'ana:1',
        key: 'm',
        item: { ...local, size: -1 },
      }).ok,
    ).toBe(false)
    expect(
      parsePlaylistOp({
        type: 'add',
        stamp: { counter: 1, peer: 'ana' },
        id: 'ana:1',
        key: 'm',
        item: { ...local, localKey: 'nope' },
      }).ok,
    ).toBe(false)
    const ready = { type: 'ready', stamp: { counter: 2, peer: 'ana' }, id: 'ana:1', torrent: video(7) }
    expect(parsePlaylistOp(ready).ok).toBe(true)
    // Its magnet must carry its info hash, as an add's does.
    expect(parsePlaylistOp({ ...ready, torrent: { ...video(7), infoHash: video(8).infoHash } }).ok).toBe(
      false,
    )
  })
})
