/**
 * Bytes of a dropped film read from its owner before anyone plays it (`OwnerRanges.warm`): a member reads the
 * index (an MP4's tail, where the item says it lies) and the head when the film joins the playlist, so that a
 * start finds them here instead of waiting for a busy owner page to send them (1–1.5 MiB at 1–3 MB/s, after a
 * round trip of 0.2–0.5 s, in `bench:movie`'s traces).
 *
 * - `HeldSpans`: the spans of one owner's files, each given to the reads that start in it, and let go once one
 *   reads to its end.
 *   Nothing more is warmed once the film is read for playing: the reads then ask for what they need themselves.
 * - `HeldRead`: such a read: the held bytes first (waited for while they are still coming), then the rest of
 *   what it asked for from the owner, asked for at once so that it comes right behind them. A span whose read
 *   failed is read again as if it had never been held.
 */
import { trace } from '../trace.ts'

/** Bytes [start, stop) of file `file`, on their way or in; null once their read failed. */
export interface HeldSpan {
  file: number
  start: number
  stop: number
  bytes: Promise<Uint8Array | null>
}

export class HeldSpans {
  #spans: HeldSpan[] = []
  #reading = false

  /** Whether the film is read for playing: nothing more is warmed from then on. */
  get reading(): boolean {
    return this.#reading
  }

  /** Holds a span on its way (ignored once reading began, or when one starts at the same byte). */
  add(span: HeldSpan): boolean {
    if (this.#reading || this.#spans.some((s) => s.file === span.file && s.start === span.start)) return false
    this.#spans.push(span)
    return true
  }

  /**
   * A read for playing of [start, stop) of `file` begins: the span that holds its first byte, if any. The span is
   * let go when the read reaches its end; a read that stops inside it (a torrent's span, prefer-torrent.ts)
   * leaves it to the read that goes on from there.
   */
  take(file: number, start: number, stop: number): HeldSpan | null {
    this.#reading = true
    const at = this.#spans.findIndex((s) => s.file === file && s.start <= start && start < s.stop)
    const span = this.#spans[at]
    if (span && stop >= span.stop) this.#spans.splice(at, 1)
    return span ?? null
  }

  clear(): void {
    this.#spans = []
  }
}

/** How a held read reads on from the owner: bytes [start, stop) of its file. */
export type ReadOn = (start: number, stop: number) => AsyncIterator<Uint8Array>

/** A read of [start, stop) that starts in a held span; it hands over at most `hand` bytes at once. */
export class HeldRead implements AsyncIterator<Uint8Array> {
  readonly #span: HeldSpan
  readonly #readOn: ReadOn
  readonly #hand: number
  #start: number
  readonly #stop: number
  /** Where the held part ends: the read goes on from the owner from here. */
  readonly #heldStop: number
  /** The held bytes not yet handed over; null until they are in. */
  #left: Uint8Array | null = null
  /** The read after the held part (or, when the span failed, of everything): asked for at once. */
  #rest: AsyncIterator<Uint8Array> | null
  #restFirst: Promise<IteratorResult<Uint8Array>> | null = null
  #ended = false

  constructor(span: HeldSpan, start: number, stop: number, readOn: ReadOn, hand: number) {
    this.#span = span
    this.#readOn = readOn
    this.#hand = hand
    this.#start = start
    this.#stop = stop
    this.#heldStop = Math.min(span.stop, stop)
    this.#rest = this.#heldStop < stop ? readOn(this.#heldStop, stop) : null
    if (this.#rest) {
      this.#restFirst = this.#rest.next()
      this.#restFirst.catch(() => {})
    }
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#ended) return { done: true, value: undefined }
    if (this.#left === null && this.#start < this.#heldStop) {
      const bytes = await this.#span.bytes
      if (this.#ended) return { done: true, value: undefined }
      if (!bytes || bytes.length < this.#heldStop - this.#span.start) {
        // The span's read failed: read everything from the owner, as without it.
        void this.#rest?.return?.()?.catch(() => {})
        this.#rest = this.#readOn(this.#start, this.#stop)
        this.#restFirst = null
        this.#start = this.#heldStop
        trace('range:held', { start: this.#span.start, taken: false })
      } else {
        this.#left = bytes.subarray(this.#start - this.#span.start, this.#heldStop - this.#span.start)
        trace('range:held', { start: this.#span.start, taken: true, bytes: this.#left.length })
      }
    }
    if (this.#left && this.#left.length > 0) {
      const part = this.#left.subarray(0, this.#hand)
      this.#left = this.#left.subarray(part.length)
      this.#start += part.length
      return { done: false, value: part }
    }
    if (!this.#rest) return this.#finish()
    const first = this.#restFirst
    this.#restFirst = null
    const next = await (first ?? this.#rest.next())
    if (next.done) this.#ended = true
    return next
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    void this.#rest?.return?.()?.catch(() => {})
    return this.#finish()
  }

  #finish(): IteratorResult<Uint8Array> {
    this.#ended = true
    this.#left = null
    return { done: true, value: undefined }
  }
}
