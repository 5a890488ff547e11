/**
 * The owner's end of the range protocol (torrent/range-wire.ts): answers one member's requests for bytes of
 * the files it dropped, read from the `File`s themselves. One server per link (per requester): requests are
 * answered one after the other in the order they came, each in parts of `ANSWER_BYTES`, and the next part is
 * written only while the connection's send buffer takes it (the stream's `drain`), so a requester that reads
 * slowly holds back its own answers and nothing else. A requester may have at most `MAX_OUTSTANDING` requests
 * queued; anything beyond the bounds is refused with a reason, anything malformed dropped with a log line.
 */
import {
  ANSWER_BYTES,
  ANSWER_HEADER,
  encodeAnswer,
  MAX_OUTSTANDING,
  parseRangeRequest,
  writeDataHeader,
  type GetRequest,
  type RangeAnswer,
} from './range-wire.ts'
import { readChunks } from './piece-hash.ts'
import type { ReadPriority } from './read-priority.ts'
import { trace } from '../trace.ts'

/**
 * The owner's send buffer on a range link (mesh/send-buffer.ts `setSendBuffer`), a quarter of a torrent wire's:
 * a seek's first answer waits behind what is queued there for the read the seek left, and at the 1.5–2.6 MB/s
 * a link carried on a busy machine, a mebibyte queued was 0.4–0.8 s of a seek (bench:movie traces).
 */
export const RANGE_SEND_HIGH = 256 * 1024
export const RANGE_SEND_LOW = 128 * 1024

/** The slice of a simple-peer connection the range protocol uses (both ends). */
export interface RangePeer {
  /** Queues bytes for the other end; false when the stream's buffer is full (wait for `drain`). */
  write(chunk: Uint8Array): boolean
  on(event: 'data', listener: (chunk: Uint8Array) => void): void
  on(event: 'drain' | 'close', listener: () => void): void
  destroy(): void
}

/**
 * How a request is read: in one read of the file (a whole request, ≤ MAX_REQUEST_BYTES), then sent in
 * answers of `ANSWER_BYTES`. Chromium serves a page's `File` reads in turn, and the hashing workers' reads of
 * the same file are in that queue: one read per request waits once, where 256 KiB reads waited four times.
 * The next request's read starts as soon as the current one's bytes are in, or as it comes if it comes later,
 * so its wait in that queue overlaps the current answer's sending. The file's bytes go straight into the
 * answers' messages (`readAnswers`): one fresh buffer per request, not a read's buffer and then a message's.
 */
export class RangeServer {
  readonly #peer: RangePeer
  readonly #files: readonly Blob[]
  readonly #label: string
  readonly #queue: GetRequest[] = []
  /** The request being answered, and whether it was cancelled. */
  #running: { id: number; cancelled: boolean } | null = null
  /** Whether the running request's bytes are in and being sent. */
  #sending = false
  #drained: (() => void) | null = null
  #closed = false
  readonly #priority: ReadPriority | null
  /** The reads of the file started for requests (the running one's, the next one's ahead of its turn). */
  readonly #reads = new Map<GetRequest, Promise<Uint8Array[]>>()

  /**
   * `label` names the requester in log lines; while this server's reads of the file are in flight, `priority`
   * holds the file's other readers (the hashing) back.
   */
  constructor(peer: RangePeer, files: readonly Blob[], label: string, priority: ReadPriority | null = null) {
    this.#peer = peer
    this.#files = files
    this.#label = label
    this.#priority = priority
    peer.on('data', (chunk) => this.#onRequest(chunk))
    peer.on('drain', () => this.#wakeDrained())
    peer.on('close', () => this.close())
  }

  /** Stops answering (the link closed, or the item left the playlist). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue.length = 0
    this.#reads.clear()
    if (this.#running) this.#running.cancelled = true
    this.#wakeDrained()
  }

  #onRequest(raw: Uint8Array): void {
    if (this.#closed) return
    const parsed = parseRangeRequest(raw)
    if (!parsed.ok) {
      console.warn(`ranges: ignored a request from ${this.#label}: ${parsed.error.message}`)
      return
    }
    const request = parsed.value
    if (request.t === 'cancel') {
      const at = this.#queue.findIndex((r) => r.id === request.id)
      if (at >= 0) this.#reads.delete(this.#queue.splice(at, 1)[0] as GetRequest)
      if (this.#running?.id === request.id) this.#running.cancelled = true
      return
    }
    const refusal = this.#refusal(request)
    if (refusal) {
      this.#send({ t: 'refused', id: request.id, reason: refusal })
      return
    }
    trace('range-server:get', { start: request.start, queued: this.#queue.length })
    this.#queue.push(request)
    if (!this.#running) void this.#serve()
    else this.#readNext()
  }

  #refusal(request: GetRequest): string | null {
    if (this.#queue.length + (this.#running ? 1 : 0) >= MAX_OUTSTANDING) return 'too many requests'
    const file = this.#files[request.file]
    if (!file) return 'no such file'
    if (request.end > file.size) return 'past the end of the file'
    return null
  }

  async #serve(): Promise<void> {
    for (let request = this.#queue.shift(); request && !this.#closed; request = this.#queue.shift()) {
      const running = { id: request.id, cancelled: false }
      this.#running = running
      try {
        await this.#answer(request, running)
      } catch (err) {
        if (!running.cancelled)
          this.#send({ t: 'refused', id: request.id, reason: 'the file could not be read' })
        console.warn(`ranges: reading for ${this.#label} failed`, err)
      }
      this.#running = null
      this.#sending = false
    }
  }

  async #answer(request: GetRequest, running: { cancelled: boolean }): Promise<void> {
    const answers = await this.#read(request)
    this.#reads.delete(request)
    this.#sending = true
    this.#readNext()
    for (const answer of answers) {
      if (running.cancelled) return
      const full = !this.#write(answer)
      if (full) await new Promise<void>((resolve) => (this.#drained = resolve))
    }
    if (!running.cancelled) this.#send({ t: 'end', id: request.id })
    trace('range-server:sent', { start: request.start })
  }

  /**
   * While an answer is sent, the next request in line is read (once: `#read` keeps a started read), whether
   * it was queued when the answer's bytes came in or came while they are sent.
   */
  #readNext(): void {
    const next = this.#queue[0]
    if (this.#sending && next && !this.#closed) void this.#read(next)
  }

  /**
   * The answers of a request (at most MAX_REQUEST_BYTES: one read), its read started once. The hashing waits
   * while the read is in flight (`priority`); a failed read is reported when the request's turn comes.
   */
  #read(request: GetRequest): Promise<Uint8Array[]> {
    const started = this.#reads.get(request)
    if (started) return started
    const file = this.#files[request.file] as Blob
    const done = this.#priority?.begin()
    const read = readAnswers(file, request).finally(() => {
      done?.()
      trace('range-server:read', { start: request.start })
    })
    read.catch(() => {})
    this.#reads.set(request, read)
    return read
  }

  /** Writes one answer; false when the connection's buffer is full. */
  #send(answer: RangeAnswer): boolean {
    return this.#write(encodeAnswer(answer))
  }

  #write(message: Uint8Array): boolean {
    if (this.#closed) return true
    return this.#peer.write(message)
  }

  #wakeDrained(): void {
    const drained = this.#drained
    this.#drained = null
    drained?.()
  }
}

/**
 * The data answers of `request`, read from `file` into one buffer laid out as the messages themselves: each
 * `ANSWER_BYTES` of the file behind its answer's header, each answer a view of its message. Rejects when the
 * file cannot be read or gives other than the bytes asked for.
 */
export async function readAnswers(file: Blob, request: GetRequest): Promise<Uint8Array[]> {
  const size = request.end - request.start
  const parts = Math.ceil(size / ANSWER_BYTES)
  const stride = ANSWER_HEADER + ANSWER_BYTES
  const messages = new Uint8Array(size + parts * ANSWER_HEADER)
  let placed = 0
  for await (const chunk of readChunks(file.slice(request.start, request.end).stream(), ANSWER_BYTES)) {
    if (placed + chunk.length > size) throw new Error('the file gave more bytes than its slice holds')
    for (let from = 0; from < chunk.length;) {
      const within = placed % ANSWER_BYTES
      const n = Math.min(chunk.length - from, ANSWER_BYTES - within)
      messages.set(
        chunk.subarray(from, from + n),
        Math.floor(placed / ANSWER_BYTES) * stride + ANSWER_HEADER + within,
      )
      from += n
      placed += n
    }
  }
  if (placed !== size) throw new Error(`the file ended ${size - placed} bytes short of the range`)
  const answers: Uint8Array[] = []
  for (let part = 0; part < parts; part++) {
    const start = part * stride
    const message = messages.subarray(
      start,
      start + ANSWER_HEADER + Math.min(ANSWER_BYTES, size - part * ANSWER_BYTES),
    )
    writeDataHeader(message, request.id)
    answers.push(message)
  }
  return answers
}
