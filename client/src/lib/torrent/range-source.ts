/**
 * The requester's end of the range protocol (torrent/range-wire.ts): a `ByteSource` (media/feed.ts) over the
 * bytes of a file the owner is still hashing, so the MSE feeds play it as they play a torrent's file.
 *
 * - `RangeLink`: one connection to the owner; it matches answers to its own requests and drops anything
 *   else (an answer to no request of ours, one longer than asked, a malformed one), with a log line.
 * - `OwnerRanges`: the owner's current link (links are replaced when they fail); reads wait for one.
 * - `rangeSource`: a file's bytes, read in requests of `MAX_REQUEST_BYTES`, `PIPELINE` of them in flight,
 *   handed over as they arrive (up to `HAND_BYTES` at once). A read whose link goes asks again on the next.
 * - `preferTorrent`: the item gained its torrent; spans the torrent holds verified come from it, the rest
 *   from the owner while the owner is reachable, else from the torrent (which then fetches them).
 *
 * Who may answer: only the link to the item's owner is ever given to `OwnerRanges` (torrent/feature.ts), and
 * that link is a WebRTC connection signalled over the room's authenticated channel with the owner.
 */
import { concat } from '../media/bytes.ts'
import type { ByteSource } from '../media/feed.ts'
import type { RangePeer } from './range-server.ts'
import { encodeRequest, MAX_REQUEST_BYTES, parseRangeAnswer } from './range-wire.ts'
import { HeldRead, HeldSpan, HeldSpans } from './held-spans.ts'
import { trace } from '../trace.ts'

/** Requests a read keeps in flight: the next is on its way while the last is answered. */
export const PIPELINE = 2
/** The most a read hands over at once (a SourceBuffer append). */
export const HAND_BYTES = 512 * 1024

/** Bytes this page has received over the range protocol, every link together (the benchmarks read it). */
let bytesReceived = 0

/** Bytes this page has received over the range protocol so far: answers to its own requests, as they came. */
export function rangeBytesReceived(): number {
  return bytesReceived
}

/** What a request's answers go to. */
interface Pending {
  expected: number
  received: number
  onData(bytes: Uint8Array): void
  onEnd(): void
  /** `retry`: the link went, so another link may bring the bytes; otherwise the owner said no. */
  onFail(reason: string, retry: boolean): void
}

export class RangeLink {
  readonly #peer: RangePeer
  readonly #label: string
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false
  readonly #onClose: () => void

  constructor(peer: RangePeer, label: string, onClose: () => void = () => {}) {
    this.#peer = peer
    this.#label = label
    this.#onClose = onClose
    peer.on('data', (chunk) => this.#onAnswer(chunk))
    peer.on('close', () => this.close())
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Asks for bytes [start, end) of file `file` (at most MAX_REQUEST_BYTES); returns a cancel. */
  request(
    file: number,
    start: number,
    end: number,
    pending: Omit<Pending, 'expected' | 'received'>,
  ): () => void {
    if (this.#closed) {
      pending.onFail('the link closed', true)
      return () => {}
    }
    const id = this.#nextId++
    this.#pending.set(id, { ...pending, expected: end - start, received: 0 })
    this.#peer.write(encodeRequest({ t: 'get', id, file, start, end }))
    return () => {
      if (!this.#pending.delete(id) || this.#closed) return
      this.#peer.write(encodeRequest({ t: 'cancel', id }))
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.onFail('the link closed', true)
    this.#peer.destroy()
    this.#onClose()
  }

  #onAnswer(raw: Uint8Array): void {
    const parsed = parseRangeAnswer(raw)
    if (!parsed.ok)
      return console.warn(`ranges: ignored an answer from ${this.#label}: ${parsed.error.message}`)
    const answer = parsed.value
    const pending = this.#pending.get(answer.id)
    // A request we cancelled may still have answers on the way; anything else is not ours.
    if (!pending) return
    switch (answer.t) {
      case 'data':
        pending.received += answer.bytes.length
        bytesReceived += answer.bytes.length
        if (pending.received > pending.expected)
          return this.#fail(answer.id, pending, 'more bytes than asked')
        return pending.onData(answer.bytes)
      case 'end':
        if (pending.received !== pending.expected)
          return this.#fail(answer.id, pending, 'fewer bytes than asked')
        this.#pending.delete(answer.id)
        return pending.onEnd()
      case 'refused':
        this.#pending.delete(answer.id)
        return pending.onFail(`refused: ${answer.reason}`, false)
      default:
        answer satisfies never
    }
  }

  #fail(id: number, pending: Pending, reason: string): void {
    console.warn(`ranges: dropped an answer from ${this.#label}: ${reason}`)
    this.#pending.delete(id)
    pending.onFail(reason, false)
  }
}

/**
 * The longest tail (a film's index) a member reads before the film is selected (`OwnerRanges.warm`): a 2-hour
 * film's `moov` is ~4 MB.
 */
export const WARM_TAIL_BYTES = 8 * 1024 * 1024
/**
 * How much of a film's head a member reads before it is selected: its first second or so, and a faststart MP4's
 * index.
 */
export const WARM_HEAD_BYTES = 1024 * 1024

/** The owner's link for one item, as links come and go; reads wait for one. */
export class OwnerRanges {
  #link: RangeLink | null = null
  #waiting: ((link: RangeLink) => void)[] = []
  #closed = false
  /** Spans read before the film is played (held-spans.ts). */
  readonly held = new HeldSpans()

  /**
   * Reads [start, stop) of file `file` now, before anyone plays the film, and holds it for the read that starts
   * in it (held-spans.ts); resolves once it is in (or failed). Nothing is read once the film is read for
   * playing, or after `close`.
   */
  warm(file: number, start: number, stop: number): Promise<void> {
    if (this.#closed || stop <= start) return Promise.resolve()
    const span = new HeldSpan(file, start, stop)
    if (!this.held.add(span)) return Promise.resolve()
    trace('range:warm', { start, bytes: stop - start })
    return span
      .fill(new RangeRead(this, file, start, stop))
      .then((bytes) => trace('range:warmed', { start, bytes }))
  }

  /** A new connection to the owner (the old one, if any, is closed). */
  setLink(peer: RangePeer, label: string): void {
    if (this.#closed) return peer.destroy()
    trace('range:link')
    this.#link?.close()
    const link: RangeLink = new RangeLink(peer, label, () => {
      if (this.#link === link) this.#link = null
    })
    this.#link = link
    for (const wake of this.#waiting.splice(0)) wake(link)
  }

  /** Whether a link to the owner is up now. */
  get reachable(): boolean {
    return this.#link !== null && !this.#link.closed
  }

  /** The current link, or the next one. */
  link(): Promise<RangeLink> {
    if (this.#closed) return Promise.reject(new Error('closed'))
    const link = this.#link
    return link && !link.closed
      ? Promise.resolve(link)
      : new Promise((resolve) => this.#waiting.push(resolve))
  }

  close(): void {
    this.#closed = true
    this.#waiting = []
    this.held.clear()
    this.#link?.close()
    this.#link = null
  }
}

/**
 * File `file` (of `length` bytes) of the owner's drop, read over the range protocol; `tailIndexAt`: where the
 * owner says its index lies (`ByteSource.tailIndexAt`).
 */
export function rangeSource(
  ranges: OwnerRanges,
  file: number,
  length: number,
  tailIndexAt?: number,
): ByteSource {
  return {
    length,
    ...(tailIndexAt === undefined ? {} : { tailIndexAt }),
    // Nothing counts as here: every byte is the owner's until the torrent has it (held spans' too).
    has: (start, end) => end <= start,
    read: (start, end = length - 1) => {
      const stop = Math.min(end + 1, length)
      const readOn = (from: number, to: number) => new RangeRead(ranges, file, from, to)
      const held = ranges.held.take(file, start, stop)
      return held ? new HeldRead(held, start, stop, readOn, HAND_BYTES) : readOn(start, stop)
    },
  }
}

interface InFlight {
  start: number
  end: number
  parts: Uint8Array[]
  done: boolean
  failed: { reason: string; retry: boolean } | null
  cancel: () => void
}

/** One read of [start, stop): requests in flight, their bytes handed over in order. */
class RangeRead implements AsyncIterator<Uint8Array> {
  readonly #ranges: OwnerRanges
  readonly #file: number
  readonly #stop: number
  /** The next byte to hand over. */
  #position: number
  /** Where the next request starts. */
  #asked: number
  #flight: InFlight[] = []
  #wake: (() => void) | null = null
  #ended = false
  #link: RangeLink | null = null

  constructor(ranges: OwnerRanges, file: number, start: number, stop: number) {
    this.#ranges = ranges
    this.#file = file
    this.#position = start
    this.#asked = start
    this.#stop = stop
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#ended || this.#position >= this.#stop) return this.#finish()
      await this.#fill()
      const head = this.#flight[0]
      if (!head) continue
      if (head.parts.length > 0) return { done: false, value: this.#take(head) }
      if (head.done) {
        this.#flight.shift()
        continue
      }
      if (head.failed?.retry) {
        // The link went: ask again from here, on the owner's next link.
        this.#reset()
        continue
      }
      if (head.failed) {
        this.#finish()
        throw new Error(`the owner's bytes could not be read: ${head.failed.reason}`)
      }
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    return this.#finish()
  }

  #finish(): IteratorResult<Uint8Array> {
    this.#ended = true
    this.#reset()
    this.#notify()
    return { done: true, value: undefined }
  }

  /** Hands over what the first request brought so far, up to HAND_BYTES. */
  #take(head: InFlight): Uint8Array {
    const taken: Uint8Array[] = []
    let size = 0
    while (head.parts.length > 0 && size + (head.parts[0] as Uint8Array).length <= HAND_BYTES) {
      const part = head.parts.shift() as Uint8Array
      taken.push(part)
      size += part.length
    }
    if (taken.length === 0) taken.push(head.parts.shift() as Uint8Array)
    const bytes = concat(taken)
    this.#position += bytes.length
    return bytes
  }

  /** Keeps PIPELINE requests in flight on the owner's link (waiting for one when there is none). */
  async #fill(): Promise<void> {
    if (this.#flight.length >= PIPELINE || this.#asked >= this.#stop) return
    const link = this.#link && !this.#link.closed ? this.#link : await this.#ranges.link()
    if (this.#ended) return
    this.#link = link
    while (this.#flight.length < PIPELINE && this.#asked < this.#stop) {
      const start = this.#asked
      const end = Math.min(this.#stop, start + MAX_REQUEST_BYTES)
      const flight: InFlight = { start, end, parts: [], done: false, failed: null, cancel: () => {} }
      trace('range:get', { start, end })
      let answered = false
      flight.cancel = link.request(this.#file, start, end, {
        onData: (bytes) => {
          if (!answered) trace('range:data', { start })
          answered = true
          flight.parts.push(bytes)
          this.#notify()
        },
        onEnd: () => {
          flight.done = true
          trace('range:end', { start })
          this.#notify()
        },
        onFail: (reason, retry) => {
          flight.failed = { reason, retry }
          this.#notify()
        },
      })
      this.#flight.push(flight)
      this.#asked = end
    }
  }

  /** Drops every request in flight; the next `next` asks again from the position. */
  #reset(): void {
    for (const flight of this.#flight) flight.cancel()
    this.#flight = []
    this.#asked = this.#position
    this.#link = null
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }
}
