/**
 * The /connection endpoint: two matching requests (A→B and B→A on one document) are piped together.
 * Content-blind: every frame passes byte for byte and keeps its type (text or binary), including
 * the frames one side sent before the other arrived, which are held within bounds.
 * The server's shared socket listeners call `accept`, `message` and `closed`; state lives in the Conn.
 */
import type { Logger } from 'pino'
import type { Cluster, Held, PipeSide } from './cluster/bus.ts'
import type { HeldLimits } from './config.ts'
import type { Conn } from './conn.ts'
import { TickCork } from './cork.ts'
import { CloseCode, type RejectReason } from './errors.ts'
import { documentTag } from './redact.ts'

export interface PipeEvents {
  reject(reason: RejectReason): void
}

type Overflow = 'held-too-much' | 'held-too-long' | 'rate-limited'

const OVERFLOW_CODES: Record<Overflow, number> = {
  'held-too-much': CloseCode.HeldTooMuch,
  'held-too-long': CloseCode.HeldTooLong,
  'rate-limited': CloseCode.RateLimited,
}

/** `ws` send options, shared: `ws` copies them on every send. */
const BINARY = { binary: true } as const
const TEXT = { binary: false } as const

/** Ids cannot contain '/', so these keys never collide (see ids.ts). */
function pairKey(from: string, to: string, documentId: string): string {
  return `${from}/${to}/${documentId}`
}

/** A pair key as logs may show it: the document id replaced by its tag (redact.ts). */
function pipeLabel(key: string): string {
  const [from, to, documentId = ''] = key.split('/')
  return `${from}/${to}/${documentTag(documentId)}`
}

export class PipeService implements PipeSide {
  /** Sides waiting for their partner, by `from/to/document`. */
  readonly #waiting = new Map<string, Conn>()
  readonly #limits: HeldLimits
  readonly #highWaterMark: number
  readonly #log: Logger
  readonly #events: PipeEvents
  /** Other instances, when clustered: a side whose partner is not here may wait there. */
  #cluster: Cluster | null = null
  #open = 0
  #heldFrames = 0
  #heldBytes = 0
  #bytesPiped = 0
  readonly #cork = new TickCork()

  constructor(limits: HeldLimits, highWaterMark: number, log: Logger, events: PipeEvents) {
    this.#limits = limits
    this.#highWaterMark = highWaterMark
    this.#log = log
    this.#events = events
  }

  /** Join a cluster of instances (before the server accepts sockets). */
  useCluster(cluster: Cluster): void {
    this.#cluster = cluster
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
      previous.close(CloseCode.Conflict, 'replaced by a newer connection request')
    }
    this.#hold(conn, key)
    this.#cluster?.pipeWaiting(conn, key, pairKey(remotePeerId, localPeerId, documentId))
  }

  message(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (!piped(conn)) {
      if (conn.held !== null) this.#holdFrame(conn, data, isBinary)
      return
    }
    // Over its rate a piped side is slowed, never cut: frames queue in order (conn.held, bounded
    // because reading stops) and drain as the budget refills.
    if (conn.held !== null || !conn.admit()) return this.#throttle(conn, data, isBinary)
    this.#forward(conn, data, isBinary)
  }

  closed(conn: Conn, code: number, reason: Buffer): void {
    if (conn.pipeKey !== null && this.#waiting.get(conn.pipeKey) === conn) this.#release(conn)
    if (conn.timer) clearTimeout(conn.timer)
    conn.timer = null
    conn.held = null
    if (conn.remote !== null) {
      if (conn.remote.open) this.#open--
      this.#cluster?.closed(conn, code, reason.toString())
      return
    }
    const partner = conn.partner
    if (partner === null) return
    // Unlink both first: the partner's own close must not count the pipe twice.
    conn.partner = null
    partner.partner = null
    this.#open--
    closeLike(partner, code, reason.toString())
  }

  // --- the other side on another instance (PipeSide, called by the cluster) ---

  isWaiting(conn: Conn, key: string): boolean {
    return this.#waiting.get(key) === conn
  }

  takeWaiting(key: string, expected?: Conn): Held | null {
    const conn = this.#waiting.get(key)
    if (conn === undefined || (expected !== undefined && conn !== expected)) return null
    return { conn, frames: this.#release(conn) }
  }

  openedRemote(conn: Conn, held: Held['frames']): void {
    this.#open++
    for (const frame of held) this.#forward(conn, frame.data, frame.isBinary)
  }

  closedRemote(conn: Conn, code: number, reason: string, wasOpen: boolean): void {
    if (!wasOpen) {
      if (conn.pipeKey !== null && this.#waiting.get(conn.pipeKey) === conn) this.#release(conn)
      return conn.close(1000, 'the other side has gone')
    }
    this.#open--
    closeLike(conn, code, reason)
  }

  #hold(conn: Conn, key: string): void {
    conn.pipeKey = key
    conn.held = []
    conn.heldBytes = 0
    this.#waiting.set(key, conn)
    // A side whose partner never comes is closed, frames or not: nothing waits forever.
    conn.timer = setTimeout(
      () => this.#overflow(conn, 'held-too-long', `no partner within ${this.#limits.ageMs} ms`),
      this.#limits.ageMs,
    )
    conn.timer.unref()
  }

  #holdFrame(conn: Conn, data: Buffer, isBinary: boolean): void {
    const held = conn.held as NonNullable<Conn['held']>
    if (!conn.admit()) return this.#overflow(conn, 'rate-limited', 'message rate limit exceeded')
    held.push({ data, isBinary })
    conn.heldBytes += data.length
    this.#heldFrames++
    this.#heldBytes += data.length
    if (held.length > this.#limits.frames) {
      return this.#overflow(conn, 'held-too-much', `more than ${this.#limits.frames} frames held`)
    }
    if (conn.heldBytes > this.#limits.bytes) {
      return this.#overflow(conn, 'held-too-much', `more than ${this.#limits.bytes} bytes held`)
    }
    if (this.#heldBytes > this.#limits.totalBytes) {
      return this.#overflow(conn, 'held-too-much', 'the server holds too many bytes for waiting pipes')
    }
  }

  #overflow(conn: Conn, reason: Overflow, message: string): void {
    if (conn.pipeKey === null || this.#waiting.get(conn.pipeKey) !== conn) return
    this.#release(conn)
    this.#events.reject(reason)
    this.#log.info({ pipe: pipeLabel(conn.pipeKey), reason }, message)
    conn.close(OVERFLOW_CODES[reason], message)
  }

  /** Stop holding: forget the frames and the timer; returns the frames. */
  #release(conn: Conn): NonNullable<Conn['held']> {
    this.#waiting.delete(conn.pipeKey as string)
    this.#cluster?.pipeReleased(conn.pipeKey as string)
    if (conn.timer) clearTimeout(conn.timer)
    conn.timer = null
    const held = conn.held ?? []
    conn.held = null
    this.#heldFrames -= held.length
    this.#heldBytes -= conn.heldBytes
    conn.heldBytes = 0
    return held
  }

  #pipe(first: Conn, arriving: Conn): void {
    const held = this.#release(first)
    if (!first.open) {
      arriving.close(1000, 'the other side has gone')
      return
    }
    this.#open++
    first.partner = arriving
    arriving.partner = first
    for (const frame of held) this.#forward(first, frame.data, frame.isBinary)
  }

  #throttle(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (conn.held === null) {
      conn.held = []
      conn.ws.pause()
      this.#scheduleDrain(conn)
    }
    conn.held.push({ data, isBinary })
  }

  #scheduleDrain(conn: Conn): void {
    conn.timer = setTimeout(() => this.#drain(conn), Math.max(1, conn.refillDelayMs()))
  }

  #drain(conn: Conn): void {
    conn.timer = null
    const queue = conn.held
    if (queue === null || !piped(conn)) return
    while (queue.length > 0 && conn.admit()) {
      const frame = queue.shift() as (typeof queue)[number]
      this.#forward(conn, frame.data, frame.isBinary)
    }
    if (queue.length > 0) return this.#scheduleDrain(conn)
    conn.held = null
    if (conn.open && !conn.backpressured) conn.ws.resume()
  }

  /**
   * Send `from` → `to`, as received, with backpressure and no bubble: past the high-water mark of
   * unsent bytes to `to`, reading from `from` pauses; it resumes at half that, when a marked frame (the
   * one that crossed the half mark) has been written out, so the pipe never runs dry while paused.
   */
  #forward(from: Conn, data: Buffer, isBinary: boolean): void {
    const to = from.partner
    if (to === null) {
      // On another instance: the cluster sends it, with credits in place of `bufferedAmount`.
      if (from.remote === null) return
      this.#bytesPiped += data.length
      return this.#cluster?.send(from, data, isBinary)
    }
    if (!to.open) return
    this.#bytesPiped += data.length
    const unsent = to.ws.bufferedAmount + data.length
    this.#cork.cork(to.ws)
    const options = isBinary ? BINARY : TEXT
    if (unsent <= this.#highWaterMark / 2 || to.marked) {
      to.ws.send(data, options)
    } else {
      to.marked = true
      to.ws.send(data, options, () => {
        to.marked = false
        const sender = to.partner
        if (sender === null || !sender.backpressured) return
        sender.backpressured = false
        // A throttled side resumes when its queue drains, not here.
        if (sender.open && sender.held === null) sender.ws.resume()
      })
    }
    if (unsent > this.#highWaterMark && !from.backpressured) {
      from.backpressured = true
      from.ws.pause()
    }
  }
}

/** Piped to a partner here or on another instance. */
function piped(conn: Conn): boolean {
  return conn.partner !== null || (conn.remote !== null && conn.remote.open)
}

/** Close `conn` as its other side closed: with the same code where the protocol allows it. */
function closeLike(conn: Conn, code: number, reason: string): void {
  const forwardable = code === 1000 || (code >= 3000 && code <= 4999)
  conn.close(forwardable ? code : 1000, forwardable ? reason : 'the other side closed')
}
