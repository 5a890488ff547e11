import type { WebSocket } from 'ws'
import type { RemoteEnd } from './cluster/bus.ts'
import type { RateLimit } from './config.ts'
import { refillDelayMs, takeToken, type Bucket } from './limits.ts'
import type { Dialect } from './protocol.ts'

export type Endpoint = 'introduction' | 'connection'

export interface Frame {
  data: Buffer
  isBinary: boolean
}

/**
 * The server's bookkeeping for one open WebSocket, whichever endpoint it came through. One object
 * per socket with every field an endpoint needs, and no closures: at 10k idle connections each
 * listener closure or helper object shows up in memory per connection (docs/benchmarks.md).
 * The socket's listeners are shared module-level functions that find this object through `ws`.
 */
export class Conn implements Bucket {
  readonly ws: WebSocket
  readonly endpoint: Endpoint
  readonly address: string
  /** Cleared before each heartbeat ping, set by the pong; a socket still false at the next beat is dead. */
  alive = true
  strikes = 0
  /** Called once on the next pong (duplicate-id probes). */
  onPong: (() => void) | null = null
  // Message rate budget (limits.ts), kept inline: two numbers, no extra object.
  tokens: number
  refilledAt: number
  readonly #rate: RateLimit

  // introduction: the peer id this socket registered or claims, its token, the dialect of its last
  // valid message, and messages queued while a duplicate-id probe decides.
  peerId: string | null = null
  token: string | null = null
  dialect: Dialect = 'json'
  queued: Frame[] | null = null

  // connection: the waiting side's key and held frames; the partner once piped.
  pipeKey: string | null = null
  held: Frame[] | null = null
  heldBytes = 0
  timer: NodeJS.Timeout | null = null
  partner: Conn | null = null
  /** The other end, when it is on another instance (cluster/redis.ts). */
  remote: RemoteEnd | null = null
  /** This side's reading is paused because its partner has too much unsent. */
  backpressured = false
  /** A frame to this side carries a flush callback that will resume its partner (see pipes.ts). */
  marked = false

  constructor(ws: WebSocket, endpoint: Endpoint, address: string, rate: RateLimit) {
    this.ws = ws
    this.endpoint = endpoint
    this.address = address
    this.#rate = rate
    this.tokens = rate.burst
    this.refilledAt = performance.now()
  }

  /** Take one message from the rate budget; false when it is exhausted. */
  admit(): boolean {
    return takeToken(this, this.#rate, performance.now())
  }

  /** Milliseconds until the rate budget holds a whole message again. */
  refillDelayMs(): number {
    return refillDelayMs(this, this.#rate)
  }

  pong(): void {
    this.alive = true
    const onPong = this.onPong
    this.onPong = null
    onPong?.()
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN
  }

  /** Close with a code and reason, unless the socket is already going. */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason)
    }
  }
}

const CONN = Symbol('theatron.conn')
type Tagged = WebSocket & { [CONN]?: Conn }

export function attach(ws: WebSocket, conn: Conn): void {
  ;(ws as Tagged)[CONN] = conn
}

export function connOf(ws: WebSocket): Conn {
  const conn = (ws as Tagged)[CONN]
  if (!conn) throw new Error('socket has no Conn attached')
  return conn
}
