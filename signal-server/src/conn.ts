import type { WebSocket } from 'ws'
import type { RateLimit } from './config.ts'
import { TokenBucket } from './limits.ts'

export type Endpoint = 'introduction' | 'connection'

/** The server's bookkeeping for one open WebSocket, whichever endpoint it came through. */
export class Conn {
  readonly ws: WebSocket
  readonly endpoint: Endpoint
  readonly address: string
  /** Cleared before each heartbeat ping, set by the pong; a socket still false at the next beat is dead. */
  alive = true
  strikes = 0
  /** Called once on the next pong (duplicate-id probes). */
  onPong: (() => void) | null = null
  readonly #bucket: TokenBucket | null

  constructor(ws: WebSocket, endpoint: Endpoint, address: string, rate: RateLimit) {
    this.ws = ws
    this.endpoint = endpoint
    this.address = address
    this.#bucket = rate.perSecond > 0 ? new TokenBucket(rate.burst, rate.perSecond, performance.now()) : null
  }

  /** False when this message exceeds the socket's rate limit. */
  admit(): boolean {
    return this.#bucket === null || this.#bucket.take(performance.now())
  }

  pong(): void {
    this.alive = true
    const onPong = this.onPong
    this.onPong = null
    onPong?.()
  }

  /** Close with a code and reason, unless the socket is already going. */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason)
    }
  }
}
