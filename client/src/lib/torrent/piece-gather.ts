/**
 * Whole torrent pieces out of a file read's bytes. A member playing a dropped film reads from its owner over
 * the range protocol the spans its torrent does not hold yet (torrent/prefer-torrent.ts); without this, the
 * torrent later downloads those same bytes again. The read's bytes come in file order from any position; they
 * are cut at the torrent's piece boundaries, and each piece the read covers whole goes to `take` once
 * complete, for the torrent to check against its hash (torrent/internals.ts `adoptPiece`). A piece the read
 * starts or ends inside, or one the torrent already holds, is not gathered; a read that jumps starts over.
 * Pure: one piece's buffer at a time.
 */
import { pieceSize } from './head.ts'

/** Where the read file lies in its torrent. */
export interface PieceLayout {
  pieceLength: number
  /** The file's byte offset in the torrent. */
  fileOffset: number
  /** The torrent's total length. */
  length: number
}

/** What the gathered pieces go to. */
export interface PieceTaker {
  layout: PieceLayout
  /** Whether the torrent holds piece `index` already (then it is not gathered). */
  has(index: number): boolean
  take(index: number, bytes: Uint8Array<ArrayBuffer>): void
}

export class PieceGather {
  readonly #taker: PieceTaker
  /** The piece being filled, its index and how much of it is in. */
  #buffer: Uint8Array<ArrayBuffer> | null = null
  #index = -1
  #filled = 0
  /** The torrent offset the next pushed byte must have to continue the read; -1 before the first. */
  #next = -1

  constructor(taker: PieceTaker) {
    this.#taker = taker
  }

  /** The read's next bytes, `bytes`, starting at file offset `position`. */
  push(position: number, bytes: Uint8Array): void {
    const { pieceLength, fileOffset, length } = this.#taker.layout
    if (!(pieceLength > 0) || !Number.isSafeInteger(position) || position < 0) return
    let at = fileOffset + position
    if (at !== this.#next) this.#buffer = null
    let from = 0
    while (from < bytes.length && at < length) {
      if (!this.#buffer) {
        const index = Math.floor(at / pieceLength)
        const start = index * pieceLength
        if (at !== start || this.#taker.has(index)) {
          const skip = Math.min(bytes.length - from, start + pieceLength - at)
          from += skip
          at += skip
          continue
        }
        this.#buffer = new Uint8Array(pieceSize(index, pieceLength, length))
        this.#index = index
        this.#filled = 0
      }
      const buffer = this.#buffer
      const n = Math.min(bytes.length - from, buffer.length - this.#filled)
      buffer.set(bytes.subarray(from, from + n), this.#filled)
      this.#filled += n
      from += n
      at += n
      if (this.#filled === buffer.length) {
        this.#buffer = null
        this.#taker.take(this.#index, buffer)
      }
    }
    this.#next = at
  }
}
