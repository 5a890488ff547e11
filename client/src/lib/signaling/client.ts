import * as v from 'valibot'
import { Emitter } from '../events.ts'
import { realTimers, type Timers } from '../timers.ts'
import { parseJson } from '../wire/parse.ts'
import { PeerId } from '../wire/schemas.ts'
import { releaseSocket, SOCKET_OPEN, type SocketFactory, type SocketLike } from './socket.ts'

/**
 * Client of the signal server's `/introduction/<peerId>` endpoint (JSON dialect, text frames).
 * Keeps one registration alive: heartbeats, reconnects with jittered exponential backoff, and
 * re-joins every document after each reconnect. Emits introductions to peers sharing a document.
 */
export const HEARTBEAT_INTERVAL_MS = 20_000
export const RECONNECT_BASE_MS = 500
export const RECONNECT_MAX_MS = 8_000
/**
 * The server closes a registration with 4410 when a newer socket presented our token (a duplicated
 * tab shares sessionStorage): reconnecting would take it back and the two tabs would evict each
 * other forever, so this tab stops.
 */
export const CLOSE_SUPERSEDED = 4410

/**
 * The token goes to the server as a WebSocket subprotocol, never in a URL (URLs end up in proxy and
 * access logs): the server answers with the marker protocol and never echoes the token.
 */
export function tokenProtocols(token: string): string[] {
  return ['theatron', `theatron-token.${token}`]
}

export type SignalState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'waiting'; attempt: number; retryInMs: number; reason: string }
  | { kind: 'stopped'; reason: string }

export interface SignalingEvents {
  state: [SignalState]
  introduction: [peerId: string, documentIds: string[]]
  error: [code: string, message: string]
}

/** Full jitter on an exponential ceiling: reconnecting clients do not stampede a restarted server. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt)
  return Math.round(ceiling * (0.5 + random() / 2))
}

const ServerMessage = v.variant('type', [
  v.object({ type: v.literal('Introduction'), id: PeerId, keys: v.array(v.string()) }),
  v.object({ type: v.literal('Error'), code: v.string(), message: v.optional(v.string(), '') }),
])

export interface SignalingOptions {
  /** ws(s)://host[:port] of the signal server, no trailing slash */
  baseUrl: string
  peerId: string
  token: string
  socket: SocketFactory
  timers?: Timers
  random?: () => number
}

export class SignalingClient extends Emitter<SignalingEvents> {
  state: SignalState = { kind: 'connecting', attempt: 0 }
  readonly #options: SignalingOptions
  readonly #timers: Timers
  readonly #documents = new Set<string>()
  #socket: SocketLike | null = null
  #attempt = 0
  #retryTimer: unknown = null
  #heartbeat: unknown = null

  constructor(options: SignalingOptions) {
    super()
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#connect()
  }

  join(documentId: string): void {
    this.#documents.add(documentId)
    this.#send({ type: 'Join', join: [documentId] })
  }

  leave(documentId: string): void {
    this.#documents.delete(documentId)
    this.#send({ type: 'Leave', leave: [documentId] })
  }

  get peerId(): string {
    return this.#options.peerId
  }

  /** Pipe URL for `/connection/<local>/<remote>/<document>`. */
  pipeUrl(remotePeerId: string, documentId: string): string {
    return `${this.#options.baseUrl}/connection/${this.#options.peerId}/${remotePeerId}/${documentId}`
  }

  /** The subprotocols to open pipes with: the server opens a pipe only for the registration's owner. */
  get protocols(): string[] {
    return tokenProtocols(this.#options.token)
  }

  destroy(): void {
    this.#stopTimers()
    if (this.#socket) releaseSocket(this.#socket, 1000, 'leaving')
    this.#socket = null
    this.#setState({ kind: 'stopped', reason: 'left' })
    this.clear()
  }

  #connect(): void {
    const { baseUrl, peerId, token } = this.#options
    this.#setState({ kind: 'connecting', attempt: this.#attempt })
    const socket = this.#options.socket(
      `${baseUrl}/introduction/${encodeURIComponent(peerId)}`,
      tokenProtocols(token),
    )
    this.#socket = socket
    socket.onopen = () => this.#onOpen()
    socket.onmessage = (event) => this.#onMessage(event.data)
    socket.onclose = (event) => this.#onClose(event.code, event.reason)
    // An error is always followed by close, which decides what to do.
    socket.onerror = null
  }

  #onOpen(): void {
    this.#attempt = 0
    this.#setState({ kind: 'connected' })
    if (this.#documents.size > 0) this.#send({ type: 'Join', join: [...this.#documents] })
    this.#heartbeat = this.#timers.setInterval(() => this.#send({ type: 'Heartbeat' }), HEARTBEAT_INTERVAL_MS)
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return
    const parsed = parseJson(ServerMessage, data)
    if (!parsed.ok) return
    const message = parsed.value
    switch (message.type) {
      case 'Introduction':
        this.emit('introduction', message.id, message.keys)
        return
      case 'Error':
        this.emit('error', message.code, message.message)
        return
      default:
        message satisfies never
    }
  }

  #onClose(code: number, reason: string): void {
    this.#stopTimers()
    if (this.#socket) releaseSocket(this.#socket)
    this.#socket = null
    if (code === CLOSE_SUPERSEDED) {
      this.#setState({
        kind: 'stopped',
        reason: 'this room was opened again with the same identity (another tab?)',
      })
      return
    }
    const retryInMs = backoffDelay(this.#attempt, this.#options.random)
    this.#attempt++
    this.#setState({
      kind: 'waiting',
      attempt: this.#attempt,
      retryInMs,
      reason: reason || (code === 1006 ? 'connection lost' : `closed (${code})`),
    })
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = null
      this.#connect()
    }, retryInMs)
  }

  #send(message: object): void {
    if (this.#socket?.readyState === SOCKET_OPEN) this.#socket.send(JSON.stringify(message))
  }

  #stopTimers(): void {
    if (this.#retryTimer !== null) this.#timers.clearTimeout(this.#retryTimer)
    if (this.#heartbeat !== null) this.#timers.clearInterval(this.#heartbeat)
    this.#retryTimer = this.#heartbeat = null
  }

  #setState(state: SignalState): void {
    this.state = state
    this.emit('state', state)
  }
}
