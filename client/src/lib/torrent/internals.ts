/**
 * Every WebTorrent internal that TorrentClient relies on, and the only module that touches one. WebTorrent 2
 * offers no option for any of these; everything else uses its public API (its documentation, and the
 * unprefixed fields webtorrent.d.ts declares). client/test/torrent/internals.test.ts runs the real WebTorrent,
 * the browser build the app ships, against each of them, so an update that changes one fails there.
 *
 * | internal                      | what it is for                                                   | without it                  |
 * | ----------------------------- | ---------------------------------------------------------------- | --------------------------- |
 * | `torrent._store`              | the store constructor WebTorrent calls once the metadata is in:  | WebTorrent's default store  |
 * |                               | swapped to keep small torrents in memory (`chooseStore`)         | (slower, not broken)        |
 * | `torrent._peers`              | the peer table: the connection a wire runs on, which tells a     | room wires are treated as   |
 * |                               | room member's wires from strangers' (`connectionOf`)             | strangers                   |
 * | `torrent._updateWire(wire)`   | asks one wire for blocks now, not at WebTorrent's next idle      | first requests wait for the |
 * |                               | callback (`requestBlocks`)                                       | idle callback               |
 * | `wire.downloaded` (written)   | `_updateWire` sends a wire one probe request while this is 0     | the probe stays             |
 * |                               | (`skipFirstBlockProbe`)                                          |                             |
 * | `torrent._request(wire, i, h)`| reserves one block of piece i and asks the wire for it: wrapped  | room wires ask 16 KiB at a  |
 * |                               | so a room wire asks for adjacent blocks at once (`wrapRequests`, | time                        |
 * |                               | torrent/block-runs.ts)                                           |                             |
 * | `torrent._critical[i]`        | piece i is one a stream waits for (`isCritical`): asked for at   | such a piece waits for the  |
 * |                               | once, past a room wire's budget                                  | wire's budget like the rest |
 * | `torrent.critical(from, to)`  | a stream waits for these pieces: wrapped to ask room wires for   | they wait for the next idle |
 * |                               | them at once (`afterCritical`)                                   | callback                    |
 * | `torrent._updateWire(wire)`   | wrapped to pass over a room wire whose budget is full while no   | every piece of the film is  |
 * |  (wrapped)                    | stream waits (`skipUpdates`, torrent/block-runs.ts `budgetFull`) | offered to it and refused   |
 *
 * Each function checks that what it touches is there and otherwise does nothing, so a renamed internal costs
 * speed, never a stream. Why each is worth it: docs/streaming.md (Storage; Room wires are trusted at once).
 */
import { hex } from '../random.ts'
import { checkInPage, type PieceCheck } from './piece-check.ts'
import { pieceSize } from './head.ts'
import { trace } from '../trace.ts'
import type { RequestBlock } from './block-runs.ts'
import type { StoreOptions } from './memory-store.ts'

/** An abstract-chunk-store constructor, as WebTorrent calls it: `new Store(pieceLength, options)`. */
export type StoreConstructor = new (chunkLength: number, opts: StoreOptions) => object

/** Makes a torrent's store; `fallback` is the store WebTorrent would have made. */
export type MakeStore = (chunkLength: number, opts: StoreOptions, fallback: StoreConstructor) => object

/** The private fields of a WebTorrent `Torrent` used here, unknown until checked. */
interface TorrentInternals {
  _store?: unknown
  _hashes?: unknown
  _markVerified?: unknown
  _checkDone?: unknown
  _update?: unknown
  _peers?: unknown
  _updateWire?: unknown
  _request?: unknown
  _critical?: unknown
  critical?: unknown
}

/**
 * Lets `make` make the torrent's store. WebTorrent makes it from `torrent._store` once the metadata is in,
 * never synchronously in `add`/`seed`, so calling this right after them decides the store, with the torrent's
 * size (`opts.length`) known. `opts` carries the torrent's `storeOpts` too. False when `_store` is not there.
 */
export function chooseStore(torrent: object, make: MakeStore): boolean {
  const internals = torrent as TorrentInternals
  const fallback = internals._store
  if (typeof fallback !== 'function') return false
  const store = fallback as StoreConstructor
  // Called with `new`: a constructor function that returns an object makes that object.
  internals._store = function ChunkStore(chunkLength: number, opts: StoreOptions) {
    return make(chunkLength, opts, store)
  }
  return true
}

/**
 * The connection a wire runs on, looked up in the torrent's peer table (`torrent._peers`, a Map of peer
 * records `{ conn, wire }`); for a peer added with `torrent.addPeer(connection)`, that connection.
 */
export function connectionOf(torrent: object, wire: object): unknown {
  const peers = (torrent as TorrentInternals)._peers
  if (!(peers instanceof Map)) return undefined
  for (const peer of peers.values() as Iterable<{ conn?: unknown; wire?: unknown } | null>)
    if (peer?.wire === wire) return peer.conn
  return undefined
}

/**
 * Asks `wire` for blocks now, as WebTorrent does for every wire from its idle callback: `torrent._updateWire`
 * fills the wire's request pipeline when the peer is not choking us (one probe request while the wire has
 * downloaded nothing).
 */
export function requestBlocks(torrent: object, wire: object): void {
  const update = (torrent as TorrentInternals)._updateWire
  if (typeof update === 'function') update.call(torrent, wire)
}

/**
 * Makes WebTorrent fill a new wire's request pipeline at once instead of probing it with one request first:
 * `_updateWire` probes while `wire.downloaded` (bytes received on that wire) is 0. The field is read nowhere
 * else that people see (the torrent and its files count their own verified bytes), so 1 byte more is harmless.
 */
export function skipFirstBlockProbe(wire: { downloaded?: unknown }): void {
  if (wire.downloaded === 0) wire.downloaded = 1
}

/**
 * Lets `wrap` decide how a torrent asks a wire for blocks: WebTorrent's `torrent._request(wire, index, hotswap)`
 * reserves one block of piece `index` and requests it, true when it did; every request goes through it. False
 * when `_request` is not there.
 */
export function wrapRequests(torrent: object, wrap: (original: RequestBlock) => RequestBlock): boolean {
  const internals = torrent as TorrentInternals
  const request = internals._request
  if (typeof request !== 'function') return false
  const original: RequestBlock = (wire, index, hotswap) =>
    (request as (...args: unknown[]) => unknown).call(torrent, wire, index, hotswap) === true
  internals._request = wrap(original)
  return true
}

/**
 * Makes `torrent._updateWire(wire)` do nothing while `skip(wire)` holds: it offers the wire every piece of
 * every selection, which costs a pass over the whole film when the wire can take none of them. False when
 * `_updateWire` is not there.
 */
export function skipUpdates(torrent: object, skip: (wire: object) => boolean): boolean {
  const internals = torrent as TorrentInternals
  const update = internals._updateWire
  if (typeof update !== 'function') return false
  internals._updateWire = function (this: unknown, wire: object, ...rest: unknown[]) {
    if (skip(wire)) return undefined
    return (update as (...args: unknown[]) => unknown).call(this, wire, ...rest)
  }
  return true
}

/** Whether a stream waits for piece `index` (WebTorrent marks it in `torrent._critical` from `critical`). */
export function isCritical(torrent: object, index: number): boolean {
  const critical = (torrent as TorrentInternals)._critical
  return Array.isArray(critical) && critical[index] === true
}

/**
 * Calls `then` after each `torrent.critical(from, to)`: WebTorrent's file streams call it when they wait for a
 * piece, and WebTorrent then asks wires for blocks from its next idle callback. False when it is not there.
 */
export function afterCritical(torrent: object, then: (from: number, to: number) => void): boolean {
  const internals = torrent as TorrentInternals
  const critical = internals.critical
  if (typeof critical !== 'function') return false
  internals.critical = function (this: unknown, ...args: unknown[]) {
    const result: unknown = critical.apply(this, args)
    const [from, to] = [Number(args[0]), Number(args[1])]
    trace('torrent:critical', { from, to })
    then(from, to)
    return result
  }
  return true
}

/** What became of a piece offered to `adoptPiece`. */
export type Adoption = 'adopted' | 'held' | 'forged' | 'unsupported'

/** The public fields of a WebTorrent `Torrent` that `adoptPiece` uses besides the internals. */
interface AdoptingTorrent {
  destroyed?: unknown
  pieceLength?: unknown
  length?: unknown
  bitfield?: { get(index: number): boolean } | null
  pieces?: unknown[]
  store?: { put(index: number, bytes: Uint8Array, cb: (err: Error | null) => void): void } | null
  wires?: { have(index: number): void }[]
}

/**
 * Takes piece `index`, whose bytes came from elsewhere (the owner's range reads, torrent/prefer-torrent.ts),
 * into a running torrent as a wire's piece is taken in: its SHA-1 checked against the torrent's
 * (`_hashes`), written to the store, marked verified (`_markVerified`, which also drops the piece's
 * reservations: blocks still on their way for it are then ignored), announced to every wire (`have`), and
 * the torrent's done state and requests updated (`_checkDone`, `_update`). `held`: the torrent has it already
 * or cannot take it (destroyed, no such piece, a wrong length); `forged`: the hash differs;
 * `unsupported`: an internal is missing. `check` digests the bytes (torrent/piece-check.ts): on the page by
 * default, in a worker for the owner's reads.
 */
export async function adoptPiece(
  torrent: object,
  index: number,
  given: Uint8Array<ArrayBuffer>,
  check: PieceCheck = checkInPage,
): Promise<Adoption> {
  const t = torrent as TorrentInternals & AdoptingTorrent
  const { _hashes: hashes, _markVerified: markVerified, _checkDone: checkDone, _update: update } = t
  if (!Array.isArray(hashes) || typeof markVerified !== 'function' || typeof checkDone !== 'function')
    return 'unsupported'
  if (typeof update !== 'function' || !t.bitfield || !t.store || !Array.isArray(t.pieces))
    return 'unsupported'
  const expected: unknown = hashes[index]
  if (t.destroyed || typeof expected !== 'string' || t.bitfield.get(index)) return 'held'
  const { pieceLength, length } = t
  if (typeof pieceLength !== 'number' || typeof length !== 'number') return 'unsupported'
  if (given.length !== pieceSize(index, pieceLength, length)) return 'held'
  const { digest, bytes } = await check(given)
  if (hex(digest) !== expected) return 'forged'
  const store = t.store
  if (t.destroyed || t.bitfield.get(index)) return 'held'
  await new Promise<void>((resolve, reject) =>
    store.put(index, bytes, (err) => (err ? reject(err) : resolve())),
  )
  if (t.destroyed || t.bitfield.get(index)) return 'held'
  markVerified.call(t, index)
  for (const wire of t.wires ?? []) wire.have(index)
  checkDone.call(t)
  update.call(t)
  return 'adopted'
}
