/**
 * The bytes of a dropped file while its torrent comes into being: first all from its owner (the range
 * protocol, torrent/range-source.ts), then, once the item has its torrent, from the torrent wherever it holds
 * them verified and from the owner for the rest, while the owner is reachable. The player's read goes on
 * across the switch: the source underneath changes from one span to the next, never in the middle of one.
 * What the owner sends once the torrent is there goes to the torrent too, piece by whole piece
 * (torrent/piece-gather.ts), so the torrent does not download it a second time.
 */
import type { ByteSource } from '../media/feed.ts'
import { PieceGather, type PieceTaker } from './piece-gather.ts'
import { trace } from '../trace.ts'

/** A read is split into spans of this size; each comes whole from one source. */
export const SPAN_BYTES = 4 * 1024 * 1024

export interface SwitchingSource extends ByteSource {
  /**
   * The item's torrent is here: spans it holds verified come from it from now on; what the owner sends
   * still goes to `taker` as whole pieces.
   */
  useTorrent(torrent: ByteSource, taker?: PieceTaker | null): void
  /** Whether spans the torrent lacks come from the owner now (no torrent yet, or the owner is reachable). */
  ownerServes(): boolean
}

/** `reachable`: whether the owner can be asked now (its link is up); the torrent serves the rest otherwise. */
export function preferTorrent(owner: ByteSource, reachable: () => boolean): SwitchingSource {
  let torrent: ByteSource | null = null
  let taker: PieceTaker | null = null
  const pick = (start: number, end: number): Picked => {
    if (!torrent) return { source: owner, taker: null }
    const fromTorrent = torrent.has(start, end) || !reachable()
    trace('span', { start, torrent: fromTorrent })
    return fromTorrent ? { source: torrent, taker: null } : { source: owner, taker }
  }
  return {
    length: owner.length,
    ...(owner.tailIndexAt === undefined ? {} : { tailIndexAt: owner.tailIndexAt }),
    has: (start, end) => torrent?.has(start, end) ?? owner.has(start, end),
    read: (start, end = owner.length - 1) => new SpanRead(pick, start, end),
    useTorrent: (source, pieces) => {
      torrent = source
      taker = pieces ?? null
    },
    ownerServes: () => !torrent || reachable(),
  }
}

/** A span's source, and where its bytes go besides the reader (the owner's, once the torrent is there). */
interface Picked {
  source: ByteSource
  taker: PieceTaker | null
}

/** One read of [start, end] (inclusive), span by span, each span from the source `pick` names then. */
class SpanRead implements AsyncIterator<Uint8Array> {
  readonly #pick: (start: number, end: number) => Picked
  readonly #end: number
  #position: number
  #inner: AsyncIterator<Uint8Array> | null = null
  /** The current span's pieces for the torrent, when the owner serves it and the torrent is there. */
  #gather: PieceGather | null = null
  #ended = false

  constructor(pick: (start: number, end: number) => Picked, start: number, end: number) {
    this.#pick = pick
    this.#position = start
    this.#end = end
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    while (!this.#ended && this.#position <= this.#end) {
      if (!this.#inner) {
        const stop = Math.min(this.#end + 1, (Math.floor(this.#position / SPAN_BYTES) + 1) * SPAN_BYTES)
        const { source, taker } = this.#pick(this.#position, stop)
        this.#inner = source.read(this.#position, stop - 1)
        // One gather across the read's owner spans: a piece that straddles two of them still completes.
        this.#gather = taker ? (this.#gather ?? new PieceGather(taker)) : null
      }
      const next = await this.#inner.next()
      if (this.#ended) break
      if (next.done) {
        this.#inner = null
        continue
      }
      this.#gather?.push(this.#position, next.value)
      this.#position += next.value.length
      return next
    }
    return this.return()
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.#ended = true
    const inner = this.#inner
    this.#inner = null
    await inner?.return?.()
    return { done: true, value: undefined }
  }
}
