/**
 * The /introduction endpoint: registrations by peer id, Join/Leave, introductions, duplicate ids.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Logger } from 'pino'
import type { SignalServerOptions } from './config.ts'
import type { Conn } from './conn.ts'
import { CloseCode, ProtocolError, type RejectReason } from './errors.ts'
import {
  assertNever,
  encodeError,
  encodeIntroduction,
  parseClientMessage,
  type ClientMessage,
  type Dialect,
} from './protocol.ts'
import { JoinLimitError, Registry } from './registry.ts'

interface Registration {
  readonly conn: Conn
  readonly peerId: string
  readonly token: string | null
  /** The dialect of the last valid message: introductions to this peer are encoded in it. */
  dialect: Dialect
}

/** A newcomer waiting to learn whether the live socket with its id still answers. */
interface Probe {
  readonly conn: Conn
  readonly token: string | null
  readonly queued: Array<{ data: Buffer; isBinary: boolean }>
  readonly timer: NodeJS.Timeout
}

/** Messages a newcomer may send while its id is being probed; more are dropped as strikes. */
const MAX_QUEUED_DURING_PROBE = 16

export interface IntroductionEvents {
  reject(reason: RejectReason): void
  introduction(): void
}

export class IntroductionService {
  readonly registry: Registry
  readonly #peers = new Map<string, Registration>()
  readonly #probes = new Map<string, Probe>()
  readonly #options: SignalServerOptions
  readonly #log: Logger
  readonly #events: IntroductionEvents

  constructor(options: SignalServerOptions, log: Logger, events: IntroductionEvents) {
    this.registry = new Registry(options.maxDocumentsPerPeer)
    this.#options = options
    this.#log = log
    this.#events = events
  }

  get peerCount(): number {
    return this.#peers.size
  }

  get probeCount(): number {
    return this.#probes.size
  }

  accept(conn: Conn, peerId: string, token: string | null): void {
    conn.ws.on('close', () => this.#onClose(conn, peerId))
    const live = this.#peers.get(peerId)
    if (!live) return this.#register(conn, peerId, token, [])
    if (token !== null && live.token !== null && sameToken(token, live.token)) {
      this.#log.info({ peerId }, 'peer id taken over by its token')
      // A tokenless claimant waiting on the old socket must not be promoted over the id's owner.
      this.#refuseWaiting(peerId, live)
      this.#evict(live, 'taken over by a newer connection with the same token', false)
      return this.#register(conn, peerId, token, [])
    }
    if (this.#probes.has(peerId)) return this.#refuse(conn, peerId)
    this.#probe(conn, peerId, token, live)
  }

  /** Ask the live socket whether it is still there; the newcomer waits for the answer. */
  #probe(conn: Conn, peerId: string, token: string | null, live: Registration): void {
    const queued: Probe['queued'] = []
    const hold = (data: Buffer, isBinary: boolean) => {
      if (queued.length < MAX_QUEUED_DURING_PROBE) return void queued.push({ data, isBinary })
      if (++conn.strikes < this.#options.maxStrikes) return
      this.#events.reject('bad-messages')
      conn.close(CloseCode.BadMessages, 'too many messages while the peer id was being checked')
    }
    conn.ws.on('message', hold)
    const settle = (winner: 'live' | 'newcomer') => {
      const probe = this.#probes.get(peerId)
      if (probe?.conn !== conn) return
      clearTimeout(probe.timer)
      this.#probes.delete(peerId)
      live.conn.onPong = null
      conn.ws.off('message', hold)
      if (winner === 'live') return this.#refuse(conn, peerId)
      this.#log.info({ peerId }, 'live socket did not answer; newcomer takes the peer id')
      this.#evict(live, 'did not answer while another connection claimed this peer id', true)
      this.#register(conn, peerId, token, queued)
    }
    const timer = setTimeout(() => settle('newcomer'), this.#options.duplicateProbeMs)
    timer.unref()
    this.#probes.set(peerId, { conn, token, queued, timer })
    live.conn.onPong = () => settle('live')
    live.conn.ws.ping()
  }

  #refuseWaiting(peerId: string, live: Registration): void {
    const probe = this.#probes.get(peerId)
    if (!probe) return
    clearTimeout(probe.timer)
    this.#probes.delete(peerId)
    live.conn.onPong = null
    this.#refuse(probe.conn, peerId)
  }

  #refuse(conn: Conn, peerId: string): void {
    this.#events.reject('duplicate-peer')
    this.#log.info({ peerId }, 'refused a second connection for a live peer id')
    conn.close(CloseCode.Conflict, `peer id ${peerId} is in use by a live connection`)
  }

  #evict(live: Registration, reason: string, unresponsive: boolean): void {
    this.#forget(live)
    live.conn.close(CloseCode.Superseded, reason)
    // A socket that stopped answering would never complete the close handshake.
    if (unresponsive) live.conn.ws.terminate()
  }

  #register(conn: Conn, peerId: string, token: string | null, queued: Probe['queued']): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return
    const registration: Registration = { conn, peerId, token, dialect: 'json' }
    this.#peers.set(peerId, registration)
    conn.ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(registration, data, isBinary))
    for (const { data, isBinary } of queued) this.#onMessage(registration, data, isBinary)
  }

  #onClose(conn: Conn, peerId: string): void {
    const probe = this.#probes.get(peerId)
    if (probe?.conn === conn) {
      clearTimeout(probe.timer)
      this.#probes.delete(peerId)
      const live = this.#peers.get(peerId)
      if (live) live.conn.onPong = null
    }
    const registration = this.#peers.get(peerId)
    // Only the socket that owns the registration may remove it: a superseded socket's late close
    // must never remove its successor.
    if (registration?.conn === conn) this.#forget(registration)
  }

  /** The live socket closed while a newcomer waited on it: the newcomer wins at once. */
  #promoteWaiting(peerId: string): void {
    const probe = this.#probes.get(peerId)
    if (!probe) return
    clearTimeout(probe.timer)
    this.#probes.delete(peerId)
    this.#register(probe.conn, peerId, probe.token, probe.queued)
  }

  #forget(registration: Registration): void {
    if (this.#peers.get(registration.peerId) !== registration) return
    this.#peers.delete(registration.peerId)
    this.registry.remove(registration.peerId)
    // If a newcomer waits on this id, it no longer has anyone to wait for.
    if (this.#probes.has(registration.peerId)) queueMicrotask(() => this.#promoteWaiting(registration.peerId))
  }

  #onMessage(registration: Registration, data: Buffer, isBinary: boolean): void {
    if (this.#peers.get(registration.peerId) !== registration) return
    const { conn } = registration
    conn.alive = true
    if (!conn.admit()) {
      return this.#strike(
        registration,
        new ProtocolError('rate-limited', 'too many messages'),
        frameDialect(isBinary),
      )
    }
    const parsed = parseClientMessage(data, isBinary)
    if (parsed instanceof ProtocolError) return this.#strike(registration, parsed, frameDialect(isBinary))
    registration.dialect = parsed.dialect
    this.#handle(registration, parsed.message)
  }

  #handle(registration: Registration, message: ClientMessage): void {
    switch (message.type) {
      case 'Heartbeat':
        return
      case 'Join':
        return this.#join(registration, message.documentIds)
      case 'Leave':
        return this.registry.leave(registration.peerId, message.documentIds)
      default:
        return assertNever(message)
    }
  }

  #join(registration: Registration, documentIds: string[]): void {
    let introductions: Map<string, string[]>
    try {
      introductions = this.registry.join(registration.peerId, documentIds)
    } catch (error) {
      if (!(error instanceof JoinLimitError)) throw error
      return this.#strike(
        registration,
        new ProtocolError('too-many-documents', error.message),
        registration.dialect,
      )
    }
    for (const [otherId, shared] of introductions) {
      const other = this.#peers.get(otherId)
      if (!other || shared.length === 0) continue
      this.#introduce(registration, otherId, shared)
      this.#introduce(other, registration.peerId, shared)
    }
  }

  #introduce(to: Registration, peerId: string, documentIds: string[]): void {
    if (to.conn.ws.readyState !== to.conn.ws.OPEN) return
    to.conn.ws.send(encodeIntroduction(to.dialect, peerId, documentIds))
    this.#events.introduction()
  }

  /**
   * A bad message: JSON peers are told why; msgpack (relay) peers would throw on an unknown
   * message type, so they get nothing and the server logs a warning. Repeated abuse closes the socket.
   */
  #strike(registration: Registration, error: ProtocolError, dialect: Dialect): void {
    const { conn, peerId } = registration
    conn.strikes++
    if (dialect === 'json' && conn.ws.readyState === conn.ws.OPEN) conn.ws.send(encodeError(error))
    else this.#log.warn({ peerId, code: error.code, strikes: conn.strikes }, error.message)
    if (conn.strikes < this.#options.maxStrikes) return
    const rateLimited = error.code === 'rate-limited'
    this.#events.reject(rateLimited ? 'rate-limited' : 'bad-messages')
    conn.close(
      rateLimited ? CloseCode.RateLimited : CloseCode.BadMessages,
      rateLimited ? 'message rate limit exceeded' : 'too many invalid messages',
    )
  }
}

function frameDialect(isBinary: boolean): Dialect {
  return isBinary ? 'msgpack' : 'json'
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
