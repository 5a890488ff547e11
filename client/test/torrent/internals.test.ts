/**
 * What torrent/internals.ts relies on, checked against the real WebTorrent (the browser build the app ships,
 * in Node): two clients exchanging a small torrent over an in-memory link, as room members do. If a WebTorrent
 * update renames or changes one of these internals, a test here fails.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import type { Head } from '../../src/lib/torrent/head.ts'
import {
  adoptPiece,
  chooseStore,
  connectionOf,
  afterCritical,
  isCritical,
  requestBlocks,
  skipFirstBlockProbe,
  skipUpdates,
  wrapRequests,
} from '../../src/lib/torrent/internals.ts'
import { requestRun, RUN_BYTES } from '../../src/lib/torrent/block-runs.ts'
import { MemoryStore } from '../../src/lib/torrent/memory-store.ts'
import { trustRoomWire } from '../../src/lib/torrent/tuning.ts'
import { linkedConnections, loadWebTorrent, OFFLINE, type Connection } from './webtorrent-node.ts'

/** The bittorrent-protocol wire fields the tests read (its public API). */
interface Wire {
  downloaded: number
  requests: unknown[]
  amChoking: boolean
  destroyed: boolean
  once(event: string, listener: () => void): unknown
}

/** 12 whole pieces of 16 KiB (WebTorrent's piece length for a file this small) and a short last one. */
const DATA = Uint8Array.from({ length: 12 * 16384 + 1000 }, (_, i) => (i * 7) % 251)

let WebTorrentClass: typeof WebTorrent
const clients: WebTorrent[] = []

beforeAll(async () => {
  WebTorrentClass = await loadWebTorrent()
})

afterEach(async () => {
  const closing = clients.splice(0).map((c) => new Promise<void>((resolve) => c.destroy(() => resolve())))
  await Promise.all(closing)
})

function newClient(): WebTorrent {
  const client = new WebTorrentClass(OFFLINE)
  clients.push(client)
  return client
}

/** The first time `torrent` emits `event`, with its arguments; rejects on the torrent's error. */
function next<T extends unknown[] = []>(torrent: Torrent, event: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    torrent.once(event, (...args: never[]) => resolve(args as unknown as T))
    torrent.once('error', (err: Error) => reject(err))
  })
}

function seed(files: File[] = [new File([DATA], 'clip.bin')], pieceLength?: number): Promise<Torrent> {
  const opts = { announce: [], ...(pieceLength ? { pieceLength } : {}) }
  return new Promise((resolve) => newClient().seed(files, opts, resolve))
}

/** A second member's copy of the seeded torrent, from its `.torrent` file (returned as `add` returns it). */
function leecherOf(seeder: Torrent, opts: { storeOpts?: Record<string, unknown> } = {}): Torrent {
  const torrentFile = seeder.torrentFile
  if (!torrentFile) throw new Error('seeded without a .torrent file')
  return newClient().add(torrentFile, { announce: [], ...opts })
}

/** Connects two torrents as room members do: each adds its end of one link as a peer. */
function link(a: Torrent, b: Torrent): { aConn: Connection; bConn: Connection } {
  const [aConn, bConn] = linkedConnections()
  a.addPeer(aConn)
  b.addPeer(bConn)
  return { aConn, bConn }
}

function verified(torrent: Torrent): boolean[] {
  const count = Math.ceil(torrent.length / torrent.pieceLength)
  return Array.from({ length: count }, (_, i) => torrent.bitfield?.get(i) === true)
}

describe('WebTorrent internals (the real browser build)', () => {
  it('makes a torrent’s store from `_store` once the metadata is in: swapping it right after add chooses the store', async () => {
    const seeder = await seed()
    expect(seeder.pieceLength).toBe(16384)
    // The first three pieces as a member would send them, the second one forged.
    const bytes = DATA.slice(0, 3 * 16384)
    bytes.fill(0, 16384, 16384 + 5)
    const head: Head = { first: 0, bytes }
    const leecher = leecherOf(seeder, { storeOpts: { preload: head } })
    const made: { chunkLength: number; length: unknown; preload: unknown; fallback: string }[] = []
    const chosen = chooseStore(leecher, (chunkLength, opts, fallback) => {
      made.push({ chunkLength, length: opts.length, preload: opts.preload, fallback: typeof fallback })
      return new MemoryStore(chunkLength, opts)
    })
    expect(chosen).toBe(true)
    expect(made).toEqual([]) // not in `add`: the size is not known yet
    await next(leecher, 'ready')
    expect(made).toEqual([{ chunkLength: 16384, length: DATA.length, preload: head, fallback: 'function' }])
    // WebTorrent checked what our store held against the piece hashes: only the true pieces count.
    expect(verified(leecher)).toEqual([true, false, true, ...Array<boolean>(10).fill(false)])
  })

  it('files each added connection’s wire in `_peers` under that connection', async () => {
    const seeder = await seed()
    const leecher = leecherOf(seeder)
    await next(leecher, 'ready')
    const wires = Promise.all([next<[object]>(seeder, 'wire'), next<[object]>(leecher, 'wire')])
    const { aConn, bConn } = link(seeder, leecher)
    const [[seederWire], [leecherWire]] = await wires
    expect(connectionOf(seeder, seederWire)).toBe(aConn)
    expect(connectionOf(leecher, leecherWire)).toBe(bConn)
    expect(connectionOf(seeder, leecherWire)).toBeUndefined()
  })

  it('asks a wire for blocks on `_updateWire`: one probe while `wire.downloaded` is 0, a full pipeline after', async () => {
    const seeder = await seed()
    const leecher = leecherOf(seeder)
    await next(leecher, 'ready')
    const asked = new Promise<{ wire: Wire; counts: number[] }>((resolve) => {
      leecher.once('wire', (wire: Wire) => {
        // Added before WebTorrent's own 'unchoke' listener, which asks for blocks itself.
        wire.once('unchoke', () => {
          const counts = [wire.requests.length]
          requestBlocks(leecher, wire)
          counts.push(wire.requests.length)
          skipFirstBlockProbe(wire)
          requestBlocks(leecher, wire)
          counts.push(wire.requests.length)
          resolve({ wire, counts })
        })
      })
    })
    link(seeder, leecher)
    const { wire, counts } = await asked
    expect(counts[0]).toBe(0)
    expect(counts[1]).toBe(1)
    expect(counts[2]).toBeGreaterThan(1)
    await next(leecher, 'done')
    // `wire.downloaded` counts the bytes that came on the wire (and our one); what people see does not.
    expect(wire.downloaded).toBe(DATA.length + 1)
    expect(leecher.downloaded).toBe(DATA.length)
    expect(leecher.files[0]?.downloaded).toBe(DATA.length)
    expect(verified(leecher).every(Boolean)).toBe(true)
    const bytes = new Uint8Array((await leecher.files[0]?.arrayBuffer()) ?? [])
    expect(Buffer.compare(bytes, DATA)).toBe(0) // (a deep equal of 200 KB takes seconds)
  })

  it('chokes a new wire in the microtask after the wire event, so a room wire’s unchoke queued from one lasts', async () => {
    /** Whether the seeder still chokes the leecher when the leecher first says what it has. */
    async function chokingOnLeechersNews(trusted: boolean): Promise<boolean> {
      const seeder = await seed()
      const leecher = leecherOf(seeder)
      await next(leecher, 'ready')
      const choking = new Promise<boolean>((resolve) => {
        seeder.once('wire', (wire: Wire) => {
          if (trusted) trustRoomWire(wire, seeder.ready)
          for (const news of ['have-none', 'bitfield', 'have']) wire.once(news, () => resolve(wire.amChoking))
        })
      })
      link(seeder, leecher)
      return choking
    }
    expect(await chokingOnLeechersNews(false)).toBe(true) // WebTorrent waits for the leecher's interest
    expect(await chokingOnLeechersNews(true)).toBe(false)
  })

  it('asks through `_request` for every block: wrapped, a wire asks for adjacent blocks in one request', async () => {
    /** The request lengths the seeder got while the leecher downloaded it all, and whether the bytes are true. */
    async function download(runs: boolean): Promise<{ lengths: number[]; intact: boolean }> {
      // Two pieces of 256 KiB and a short last one.
      const data = Uint8Array.from({ length: 2 * 262144 + 1000 }, (_, i) => (i * 13) % 251)
      const seeder = await seed([new File([data], 'film.bin')], 262144)
      const leecher = leecherOf(seeder)
      if (runs)
        expect(wrapRequests(leecher, (original) => (w, i, h) => requestRun(w, i, h, original))).toBe(true)
      const lengths: number[] = []
      seeder.on('wire', (wire: { on(e: string, l: (i: number, o: number, len: number) => void): unknown }) =>
        wire.on('request', (_index, _offset, length) => lengths.push(length)),
      )
      await next(leecher, 'ready')
      link(seeder, leecher)
      await next(leecher, 'done')
      const bytes = new Uint8Array((await leecher.files[0]?.arrayBuffer()) ?? [])
      return { lengths, intact: Buffer.compare(bytes, data) === 0 }
    }
    const blocks = await download(false)
    expect(Math.max(...blocks.lengths)).toBe(16384)
    const joined = await download(true)
    expect(joined.intact).toBe(true)
    expect(Math.max(...joined.lengths)).toBe(RUN_BYTES)
    // Every byte asked for once, in 128 KiB runs: 2 per whole piece, 1 for the last.
    expect(joined.lengths.reduce((a, b) => a + b, 0)).toBe(2 * 262144 + 1000)
    expect(joined.lengths).toHaveLength(5)
  })

  it('marks the pieces a stream waits for in `_critical` through `critical`, which can be followed', async () => {
    const seeder = await seed()
    const leecher = leecherOf(seeder)
    await next(leecher, 'ready')
    const calls: boolean[] = []
    expect(afterCritical(leecher, () => calls.push(isCritical(leecher, 4)))).toBe(true)
    expect(isCritical(leecher, 4)).toBe(false)
    // A stream from piece 4 on: its first piece is not here, so it waits for it.
    const stream = leecher.files[0]![Symbol.asyncIterator]({ start: 4 * 16384, end: 5 * 16384 - 1 })
    const first = stream.next()
    expect(calls).toEqual([true])
    expect(isCritical(leecher, 4)).toBe(true)
    expect(isCritical(leecher, 0)).toBe(false)
    link(seeder, leecher)
    expect((await first).value?.length).toBe(16384)
  })

  it('passes a wire over on `_updateWire` while `skipUpdates` says so, and asks it again once not', async () => {
    const seeder = await seed()
    const leecher = leecherOf(seeder)
    await next(leecher, 'ready')
    let skip = true
    const offered: object[] = []
    expect(
      skipUpdates(leecher, (wire) => {
        offered.push(wire)
        return skip
      }),
    ).toBe(true)
    const counts = new Promise<number[]>((resolve) => {
      leecher.once('wire', (wire: Wire) => {
        wire.once('unchoke', () => {
          skipFirstBlockProbe(wire)
          requestBlocks(leecher, wire)
          const skipped = wire.requests.length
          skip = false
          requestBlocks(leecher, wire)
          resolve([skipped, wire.requests.length])
        })
      })
    })
    link(seeder, leecher)
    const [skipped, asked] = await counts
    expect(offered.length).toBeGreaterThanOrEqual(2)
    expect(skipped).toBe(0)
    expect(asked).toBeGreaterThan(0)
    await next(leecher, 'done')
    expect(verified(leecher).every(Boolean)).toBe(true)
  })

  it('takes in a piece from elsewhere only when it matches its hash, and tells the other side', async () => {
    const seeder = await seed()
    const leecher = leecherOf(seeder)
    // A second member with nothing yet: the leecher's only wire, so no piece comes over a wire meanwhile.
    const other = leecherOf(seeder)
    await Promise.all([next(leecher, 'ready'), next(other, 'ready')])
    const piece = (i: number) => DATA.slice(i * 16384, Math.min(DATA.length, (i + 1) * 16384))
    const verifiedEvents: number[] = []
    leecher.on('verified', (index: number) => verifiedEvents.push(index))
    const forged = piece(4)
    forged[100] = forged[100]! ^ 0xff
    expect(await adoptPiece(leecher, 4, forged)).toBe('forged')
    expect(await adoptPiece(leecher, 12, piece(12))).toBe('adopted') // the short last piece
    expect(await adoptPiece(leecher, 5, piece(5).subarray(1))).toBe('held') // not a whole piece
    expect(await adoptPiece(leecher, 99, piece(5))).toBe('held') // no such piece
    type HaveWire = { once(event: 'have', listener: (index: number) => void): unknown }
    const wired = next<[HaveWire]>(other, 'wire')
    link(leecher, other)
    const [otherWire] = await wired
    const announced = new Promise<number>((resolve) => otherWire.once('have', resolve))
    expect(await adoptPiece(leecher, 3, piece(3))).toBe('adopted')
    expect(await announced).toBe(3)
    expect(verifiedEvents).toEqual([12, 3])
    expect(verified(leecher)).toEqual(Array.from({ length: 13 }, (_, i) => i === 3 || i === 12))
    type Store = { get(index: number, cb: (err: Error | null, bytes?: Uint8Array) => void): void }
    const store = (leecher as unknown as { store: Store }).store
    const stored = await new Promise<Uint8Array>((resolve, reject) =>
      store.get(3, (err, bytes) => (err || !bytes ? reject(err ?? new Error('no piece')) : resolve(bytes))),
    )
    expect(stored).toEqual(piece(3))
    expect(await adoptPiece(leecher, 3, piece(3))).toBe('held')
    // The rest still comes over wires, the forged piece included.
    link(seeder, leecher)
    await next(leecher, 'done')
    expect(verified(leecher).every(Boolean)).toBe(true)
  })

  it('gives each file its byte offset in the torrent (`file.offset`)', async () => {
    const torrent = await seed([new File([DATA.subarray(0, 1000)], 'a.srt'), new File([DATA], 'b.bin')])
    const offsets = Object.fromEntries(torrent.files.map((f) => [f.name, f.offset]))
    expect(offsets).toEqual({ 'a.srt': 0, 'b.bin': 1000 })
  })
})

describe('without the internals (a WebTorrent that renamed them)', () => {
  it('changes nothing and throws nothing', () => {
    const torrent = {}
    expect(chooseStore(torrent, () => ({}))).toBe(false)
    expect(torrent).toEqual({})
    expect(connectionOf({ _peers: undefined }, {})).toBeUndefined()
    expect(() => requestBlocks({ _updateWire: 'renamed' }, {})).not.toThrow()
    expect(wrapRequests({ _request: 'renamed' }, (original) => original)).toBe(false)
    expect(afterCritical({}, () => {})).toBe(false)
    expect(skipUpdates({ _updateWire: 'renamed' }, () => true)).toBe(false)
    expect(isCritical({ _critical: 'renamed' }, 0)).toBe(false)
  })

  it('adopts no piece', async () => {
    expect(await adoptPiece({ _hashes: 'renamed' }, 0, new Uint8Array(1))).toBe('unsupported')
  })

  it('skips the probe only of a wire that has downloaded nothing', () => {
    const table: [unknown, unknown][] = [
      [0, 1],
      [5000, 5000],
      [undefined, undefined],
    ]
    for (const [before, after] of table) {
      const wire = { downloaded: before }
      skipFirstBlockProbe(wire)
      expect(wire.downloaded).toBe(after)
    }
  })
})
