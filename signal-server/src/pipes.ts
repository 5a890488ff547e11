/**
 * The /connection endpoint: two matching requests (A→B and B→A on one document) are piped together.
 * Content-blind: every frame passes byte for byte and keeps its type (text or binary), including
 * the frames one side sent before the other arrived, which are held within bounds.
 */
import type { Logger } from 'pino'
import type { RawData } from 'ws'
import type { HeldLimits } from './config.ts'
import type { Conn } from './conn.ts'
import { CloseCode, type RejectReason } from './errors.ts'

interface Frame {
  data: Buffer
  isBinary: boolean
}

/** One side that has connected and waits for its partner. */
interface Waiting {
  readonly key: string
  readonly conn: Conn
  readonly frames: Frame[]
  bytes: number
  timer: NodeJS.Timeout | null
  readonly onMessage: (data: RawData, isBinary: boolean) => void
}

export interface PipeEvents {
  reject(reason: RejectReason): void
}

/** Why a held side is closed, and with which code (the same as a piped side over the rate). */
const OVERFLOW_CODES = {
  'held-too-much': CloseCode.HeldTooMuch,
  'held-too-long': CloseCode.HeldTooLong,
  'rate-limited': CloseCode.RateLimited,
} as const satisfies Partial<Record<RejectReason, CloseCode>>

/** Ids cannot contain '/', so these keys never collide (see ids.ts). */
function pairKey(from: string, to: string, documentId: string): string {
  return `${from}/${to}/${documentId}`
}

export class PipeService {
  readonly #waiting = new Map<string, Waiting>()
  readonly #limits: HeldLimits
  readonly #highWaterMark: number
  readonly #log: Logger
  readonly #events: PipeEvents
  #open = 0
  #heldFrames = 0
  #heldBytes = 0
  #bytesPiped = 0

  constructor(limits: HeldLimits, highWaterMark: number, log: Logger, events: PipeEvents) {
    this.#limits = limits
    this.#highWaterMark = highWaterMark
    this.#log = log
    this.#events = events
  }

  get openCount(): number {
    return this.#open
  }
  get waitingCount(): number {
    return this.#waiting.size
  }
  get heldFrames(): number {
    return this.#heldFrames
  }
  get heldBytes(): number {
    return this.#heldBytes
  }
  get bytesPiped(): number {
    return this.#bytesPiped
  }

  accept(conn: Conn, localPeerId: string, remotePeerId: string, documentId: string): void {
    const partner = this.#waiting.get(pairKey(remotePeerId, localPeerId, documentId))
    if (partner) return this.#pipe(partner, conn)
    const key = pairKey(localPeerId, remotePeerId, documentId)
    const previous = this.#waiting.get(key)
    if (previous) {
      // The same request again: the client retried. The newest request is the one it listens to.
      this.#release(previous)
      this.#events.reject('pipe-replaced')
      previous.conn.close(CloseCode.Conflict, 'replaced by a newer connection request')
    }
    this.#hold(conn, key)
  }

  #hold(conn: Conn, key: string): void {
    const waiting: Waiting = {
      key,
      conn,
      frames: [],
      bytes: 0,
      timer: null,
      onMessage: (data, isBinary) => this.#onHeldMessage(waiting, data as Buffer, isBinary),
    }
    this.#waiting.set(key, waiting)
    // A side whose partner never comes is closed, frames or not: nothing waits forever.
    waiting.timer = setTimeout(
      () => this.#overflow(waiting, 'held-too-long', `no partner within ${this.#limits.ageMs} ms`),
      this.#limits.ageMs,
    )
    waiting.timer.unref()
    conn.ws.on('message', waiting.onMessage)
    conn.ws.once('close', () => {
      if (this.#waiting.get(key) === waiting) this.#release(waiting)
    })
  }

  #onHeldMessage(waiting: Waiting, data: Buffer, isBinary: boolean): void {
    const { conn } = waiting
    conn.alive = true
    if (!conn.admit()) return this.#overflow(waiting, 'rate-limited', 'message rate limit exceeded')
    waiting.frames.push({ data, isBinary })
    waiting.bytes += data.length
    this.#heldFrames++
    this.#heldBytes += data.length
    if (waiting.frames.length > this.#limits.frames) {
      return this.#overflow(waiting, 'held-too-much', `more than ${this.#limits.frames} frames held`)
    }
    if (waiting.bytes > this.#limits.bytes) {
      return this.#overflow(waiting, 'held-too-much', `more than ${this.#limits.bytes} bytes held`)
    }
  }

  #overflow(waiting: Waiting, reason: keyof typeof OVERFLOW_CODES, message: string): void {
    if (this.#waiting.get(waiting.key) !== waiting) return
    this.#release(waiting)
    this.#events.reject(reason)
    this.#log.info({ pipe: waiting.key, reason }, message)
    waiting.conn.close(OVERFLOW_CODES[reason], message)
  }

  /** Stop holding: forget the frames and the listener. */
  #release(waiting: Waiting): Frame[] {
    this.#waiting.delete(waiting.key)
    if (waiting.timer) clearTimeout(waiting.timer)
    waiting.conn.ws.off('message', waiting.onMessage)
    this.#heldFrames -= waiting.frames.length
    this.#heldBytes -= waiting.bytes
    return waiting.frames.splice(0)
  }

  #pipe(waiting: Waiting, arriving: Conn): void {
    const held = this.#release(waiting)
    const first = waiting.conn
    if (first.ws.readyState !== first.ws.OPEN) {
      arriving.close(1000, 'the other side has gone')
      return
    }
    this.#open++
    for (const frame of held) this.#forward(first, arriving, frame.data, frame.isBinary)
    this.#link(first, arriving)
    this.#link(arriving, first)
    let closed = false
    const onClose = () => {
      if (closed) return
      closed = true
      this.#open--
    }
    first.ws.once('close', onClose)
    arriving.ws.once('close', onClose)
  }

  /** Forward `from` → `to`, and close `to` when `from` closes (with the same code where allowed). */
  #link(from: Conn, to: Conn): void {
    from.ws.on('message', (data: RawData, isBinary: boolean) => {
      from.alive = true
      if (!from.admit()) {
        this.#events.reject('rate-limited')
        return from.close(CloseCode.RateLimited, 'message rate limit exceeded')
      }
      this.#forward(from, to, data as Buffer, isBinary)
    })
    from.ws.once('close', (code: number, reason: Buffer) => {
      const forwardable = code === 1000 || (code >= 3000 && code <= 4999)
      to.close(forwardable ? code : 1000, forwardable ? reason.toString() : 'the other side closed')
    })
  }

  /**
   * Send with backpressure: when the receiving side has more than the high-water mark unsent, stop
   * reading from the sender until that frame has been written out.
   */
  #forward(from: Conn, to: Conn, data: Buffer, isBinary: boolean): void {
    if (to.ws.readyState !== to.ws.OPEN) return
    this.#bytesPiped += data.length
    if (to.ws.bufferedAmount + data.length <= this.#highWaterMark) {
      to.ws.send(data, { binary: isBinary })
      return
    }
    from.ws.pause()
    to.ws.send(data, { binary: isBinary }, () => {
      if (from.ws.readyState === from.ws.OPEN) from.ws.resume()
    })
  }
}
