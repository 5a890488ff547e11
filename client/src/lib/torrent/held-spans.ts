/**
 * Bytes of a dropped film read from its owner before anyone plays it (`OwnerRanges.warm`): a member reads the
 * index (an MP4's tail, where the item says it lies) and the head when the film joins the playlist, so that a
 * start finds them here instead of waiting for a busy owner page to send them (1–1.5 MiB at 1–3 MB/s, after a
 * round trip of 0.2–0.5 s, in `bench:movie`'s traces).
 *
 * - `HeldSpans`: the spans of one owner's files, each given to the reads that start in it, and let go once one
 *   reads to its end. Nothing more is warmed once the film is read for playing: the reads then ask for what
 *   they need themselves.
 * - `HeldSpan`: one span, filled as its read brings its bytes.
 * - `HeldRead`: a read that starts in a span: the span's bytes as they come (a start needs the first of them,
 *   not all), then the rest of what it asked for from the owner, asked for at once so that it comes right
 *   behind them. Where a span's read ended short, the read goes on from the owner from there.
 */
import { trace } from '../trace.ts'

/** Bytes [start, stop) of file `file`, held as their read brings them. */
export class HeldSpan {
  readonly file: number
  readonly start: number
  readonly stop: number
  readonly #parts: Uint8Array[] = []
  /** Bytes in, from `start`. */
  #received = 0
  #ended = false
  #waiters: (() => void)[] = []

  constructor(file: number, start: number, stop: number) {
    this.file = file
    this.start = start
    this.stop = stop
  }

  /** Holds what `read` brings until it ends or fails; resolves with the bytes held then. */
  async fill(read: AsyncIterator<Uint8Array>): Promise<number> {
    try {
      for (let next = await read.next(); !next.done; next = await read.next()) {
        this.#parts.push(next.value)
        this.#received += next.value.length
        this.#wake()
      }
    } catch {
      // Ended short: a read that needs more goes on from the owner.
    }
    this.#ended = true
    this.#wake()
    return this.#received
  }

  /**
   * The held bytes from file offset `at` on, at most `max` (a view, no copy), waiting while they are still
   * coming; null when they will not come (the span's read ended before `at`).
   */
  async from(at: number, max: number): Promise<Uint8Array | null> {
    for (;;) {
      let offset = at - this.start
      if (offset < this.#received) {
        for (const part of this.#parts) {
          if (offset < part.length) return part.subarray(offset, offset + max)
          offset -= part.length
        }
      }
      if (this.#ended) return null
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

export class HeldSpans {
  #spans: HeldSpan[] = []
  #reading = false

  /** Whether the film is read for playing: nothing more is warmed from then on. */
  get reading(): boolean {
    return this.#reading
  }

  /** Holds a span (not once reading began, nor when one starts at the same byte). */
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
  /** The next byte to hand over. */
  #position: number
  readonly #stop: number
  /** Where the held part ends, unless its read ended short: the read goes on from the owner from there. */
  #heldStop: number
  /** The read after the held part: asked for at once. */
  #rest: AsyncIterator<Uint8Array> | null
  #restFirst: Promise<IteratorResult<Uint8Array>> | null = null
  #traced = false
  #ended = false

  constructor(span: HeldSpan, start: number, stop: number, readOn: ReadOn, hand: number) {
    this.#span = span
    this.#readOn = readOn
    this.#hand = hand
    this.#position = start
    this.#stop = stop
    this.#heldStop = Math.min(span.stop, stop)
    this.#rest = this.#heldStop < stop ? readOn(this.#heldStop, stop) : null
    this.#restFirst = this.#rest?.next() ?? null
    this.#restFirst?.catch(() => {})
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#ended) return { done: true, value: undefined }
    if (this.#position < this.#heldStop) {
      const max = Math.min(this.#hand, this.#heldStop - this.#position)
      const bytes = await this.#span.from(this.#position, max)
      if (this.#ended) return { done: true, value: undefined }
      if (bytes) {
        if (!this.#traced)
          trace('range:held', {
            start: this.#span.start,
            taken: true,
            bytes: this.#heldStop - this.#position,
          })
        this.#traced = true
        this.#position += bytes.length
        return { done: false, value: bytes }
      }
      // The span's read ended short: everything from here comes from the owner.
      trace('range:held', { start: this.#span.start, taken: false, at: this.#position })
      void this.#rest?.return?.()?.catch(() => {})
      this.#rest = this.#readOn(this.#position, this.#stop)
      this.#restFirst = null
      this.#heldStop = this.#position
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
    return { done: true, value: undefined }
  }
}
