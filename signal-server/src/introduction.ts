/**
 * The /introduction endpoint: registrations by peer id, Join/Leave, introductions, duplicate ids.
 * The server's shared socket listeners call `accept`, `message` and `closed`; per-socket state lives
 * in the Conn (conn.ts), so an idle registration costs no closures.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Logger } from 'pino'
import type { Cluster, IntroductionSide, Presence } from './cluster/bus.ts'
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

/** A newcomer waiting to learn whether the live socket with its id still answers. */
interface Probe {
  readonly conn: Conn
  readonly live: Conn
  readonly timer: NodeJS.Timeout
}

/** Messages a newcomer may send while its id is being probed; more count as strikes. */
const MAX_QUEUED_DURING_PROBE = 16

export interface IntroductionEvents {
  reject(reason: RejectReason): void
  introduction(): void
}

export class IntroductionService implements IntroductionSide, Presence {
  readonly registry: Registry
  /** Live registrations: the socket that owns each peer id. */
  readonly #peers = new Map<string, Conn>()
  readonly #probes = new Map<string, Probe>()
  /** Newcomers waiting for the cluster to grant their peer id, by id. */
  readonly #claims = new Map<string, Conn>()
  readonly #options: SignalServerOptions
  readonly #log: Logger
  readonly #events: IntroductionEvents
  /** Other instances, when clustered: presence and introductions span them all. */
  #cluster: Cluster | null = null

  constructor(options: SignalServerOptions, log: Logger, events: IntroductionEvents) {
    this.registry = new Registry(options.maxDocumentsPerPeer)
    this.#options = options
    this.#log = log
    this.#events = events
  }

  /** Join a cluster of instances (before the server accepts sockets). */
  useCluster(cluster: Cluster): void {
    this.#cluster = cluster
  }

  get peerCount(): number {
    return this.#peers.size
  }

  get probeCount(): number {
    return this.#probes.size
  }

  accept(conn: Conn, peerId: string, token: string | null): void {
    conn.peerId = peerId
    conn.token = token
    // A socket that never joins a document holds a connection slot for nothing.
    conn.timer = setTimeout(() => this.#joinTimedOut(conn), this.#options.joinTimeoutMs)
    conn.timer.unref()
    const live = this.#peers.get(peerId)
    if (!live) return this.#cluster === null ? this.#register(conn) : this.#claim(conn, this.#cluster)
    if (token !== null && live.token !== null && sameToken(token, live.token)) {
      this.#log.info({ peerId }, 'peer id taken over by its token')
      // A tokenless claimant waiting on the old socket must not be promoted over the id's owner.
      this.#refuseWaiting(peerId)
      this.#evict(live, 'taken over by a newer connection with the same token', false)
      return this.#register(conn)
    }
    if (this.#probes.has(peerId)) return this.#refuse(conn)
    this.#probe(conn, live)
  }

  message(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (conn.queued !== null) return this.#queue(conn, data, isBinary)
    if (conn.peerId === null || this.#peers.get(conn.peerId) !== conn) return
    if (!conn.admit()) {
      return this.#strike(
        conn,
        new ProtocolError('rate-limited', 'too many messages'),
        frameDialect(isBinary),
      )
    }
    const parsed = parseClientMessage(data, isBinary)
    if (parsed instanceof ProtocolError) return this.#strike(conn, parsed, frameDialect(isBinary))
    conn.dialect = parsed.dialect
    this.#handle(conn, parsed.message)
  }

  /**
   * Why a pipe request `/connection/local/remote/documentId` is refused, or null when it may open: the
   * local peer id must have a live registration (and, when that registration has a token, the request
   * must carry it: a token proves the request comes from the registration's owner), and both peers
   * must have joined the document. Both sides of a pipe are requested after an introduction, which the
   * server sends only once both peers have joined, so a well-behaved client never hits a refusal.
   */
  async pipeRefusal(
    local: string,
    remote: string,
    documentId: string,
    token: string | null,
  ): Promise<string | null> {
    const registration = this.#peers.get(local)
    if (registration === undefined) {
      // Behind a round-robin balancer the pipe may land on another instance than the peer's registration:
      // then the cluster answers whether it is live and joined (its token is checked where it registered).
      if (this.#cluster === null) return 'no live registration for this peer id'
      if (!(await this.#cluster.isJoined(local, documentId))) return 'this peer has not joined the document'
    } else {
      if (registration.token !== null && (token === null || !sameToken(token, registration.token)))
        return 'the request does not carry the token of the registration'
      if (!this.registry.has(local, documentId)) return 'this peer has not joined the document'
    }
    if (!(await this.isJoined(remote, documentId))) return 'the other peer has not joined the document'
    return null
  }

  closed(conn: Conn): void {
    if (conn.timer !== null) clearTimeout(conn.timer)
    conn.timer = null
    const peerId = conn.peerId
    if (peerId === null) return
    const probe = this.#probes.get(peerId)
    if (probe?.conn === conn) this.#endProbe(probe)
    if (this.#claims.get(peerId) === conn) this.#claims.delete(peerId)
    // Only the socket that owns a registration may remove it: a superseded socket's late close
    // must never remove its successor.
    if (this.#peers.get(peerId) === conn) this.#forget(conn)
  }

  /** Is `peerId` live and joined to `documentId`, here or on another instance? */
  async isJoined(peerId: string, documentId: string): Promise<boolean> {
    if (this.#peers.has(peerId)) return this.registry.documentsOf(peerId).has(documentId)
    return this.#cluster !== null && this.#cluster.isJoined(peerId, documentId)
  }

  // --- what other instances ask (IntroductionSide) ---

  introduceLocal(toPeer: string, fromPeer: string, documentIds: string[]): void {
    const to = this.#peers.get(toPeer)
    if (to) this.#introduce(to, fromPeer, documentIds)
  }

  evictLocal(peerId: string): void {
    const live = this.#peers.get(peerId)
    if (!live) return
    this.#log.info({ peerId }, 'peer id taken over by its token on another instance')
    this.#evict(live, 'taken over by a newer connection with the same token', false)
  }

  republish(): void {
    for (const [peerId, conn] of this.#peers) {
      const documentIds = [...this.registry.documentsOf(peerId)]
      void this.#cluster?.claim(peerId, conn.token).then((result) => {
        if (this.#peers.get(peerId) !== conn) return
        if (result === 'conflict') {
          return this.#log.info({ peerId }, 'peer id registered on another instance meanwhile; kept here')
        }
        this.#joinRemote(conn, documentIds)
      })
    }
  }

  /** Ask the cluster for the peer id; the newcomer's messages queue meanwhile, as during a probe. */
  #claim(conn: Conn, cluster: Cluster): void {
    const peerId = conn.peerId as string
    if (this.#claims.has(peerId)) return this.#refuse(conn)
    conn.queued = []
    this.#claims.set(peerId, conn)
    void cluster.claim(peerId, conn.token).then((result) => {
      if (this.#claims.get(peerId) !== conn) {
        // The newcomer left while the cluster answered: give the id back, unless someone here has it.
        if (result === 'ok' && !this.#peers.has(peerId) && !this.#claims.has(peerId)) cluster.removed(peerId)
        return
      }
      this.#claims.delete(peerId)
      if (result === 'conflict') return this.#refuse(conn)
      if (this.#peers.has(peerId)) return this.#refuse(conn)
      this.#register(conn)
    })
  }

  /** Ask the live socket whether it is still there; the newcomer waits for the answer. */
  #probe(conn: Conn, live: Conn): void {
    conn.queued = []
    const timer = setTimeout(() => this.#settle(conn, 'newcomer'), this.#options.duplicateProbeMs)
    timer.unref()
    this.#probes.set(conn.peerId as string, { conn, live, timer })
    live.onPong = () => this.#settle(conn, 'live')
    live.ws.ping()
  }

  #settle(conn: Conn, winner: 'live' | 'newcomer'): void {
    const probe = this.#probes.get(conn.peerId as string)
    if (probe?.conn !== conn) return
    this.#endProbe(probe)
    if (winner === 'live') return this.#refuse(conn)
    this.#log.info({ peerId: conn.peerId }, 'live socket did not answer; newcomer takes the peer id')
    this.#evict(probe.live, 'did not answer while another connection claimed this peer id', true)
    this.#register(conn)
  }

  #endProbe(probe: Probe): void {
    clearTimeout(probe.timer)
    this.#probes.delete(probe.conn.peerId as string)
    probe.live.onPong = null
  }

  #queue(conn: Conn, data: Buffer, isBinary: boolean): void {
    const queued = conn.queued as NonNullable<Conn['queued']>
    if (queued.length < MAX_QUEUED_DURING_PROBE) return void queued.push({ data, isBinary })
    if (++conn.strikes < this.#options.maxStrikes) return
    this.#events.reject('bad-messages')
    conn.close(CloseCode.BadMessages, 'too many messages while the peer id was being checked')
  }

  #refuseWaiting(peerId: string): void {
    const probe = this.#probes.get(peerId)
    if (!probe) return
    this.#endProbe(probe)
    this.#refuse(probe.conn)
  }

  #refuse(conn: Conn): void {
    conn.queued = null
    this.#events.reject('duplicate-peer')
    this.#log.info({ peerId: conn.peerId }, 'refused a second connection for a live peer id')
    conn.close(CloseCode.Conflict, 'this peer id is in use by a live connection')
  }

  #evict(live: Conn, reason: string, unresponsive: boolean): void {
    this.#forget(live)
    live.close(CloseCode.Superseded, reason)
    // A socket that stopped answering would never complete the close handshake.
    if (unresponsive) live.ws.terminate()
  }

  /** Register `conn` for its peer id, then handle what it sent while it waited. */
  #register(conn: Conn): void {
    const queued = conn.queued ?? []
    conn.queued = null
    if (!conn.open) return
    this.#peers.set(conn.peerId as string, conn)
    for (const { data, isBinary } of queued) this.message(conn, data, isBinary)
  }

  #forget(conn: Conn): void {
    const peerId = conn.peerId as string
    if (this.#peers.get(peerId) !== conn) return
    this.#peers.delete(peerId)
    this.registry.remove(peerId)
    this.#cluster?.removed(peerId)
    // A newcomer waiting on this id no longer has anyone to wait for: it wins at once.
    const probe = this.#probes.get(peerId)
    if (probe) {
      this.#endProbe(probe)
      this.#register(probe.conn)
    }
  }

  #handle(conn: Conn, message: ClientMessage): void {
    switch (message.type) {
      case 'Heartbeat':
        return
      case 'Join':
        return this.#join(conn, message.documentIds)
      case 'Leave':
        this.#cluster?.left(conn.peerId as string, message.documentIds)
        return this.registry.leave(conn.peerId as string, message.documentIds)
      default:
        return assertNever(message)
    }
  }

  #joinTimedOut(conn: Conn): void {
    conn.timer = null
    if (!conn.open) return
    this.#events.reject('join-timeout')
    this.#log.debug({ peerId: conn.peerId }, 'closing an introduction socket that joined nothing')
    conn.close(CloseCode.HeldTooLong, `no document joined within ${this.#options.joinTimeoutMs} ms`)
  }

  #join(conn: Conn, documentIds: string[]): void {
    const peerId = conn.peerId as string
    let introductions: Map<string, string[]>
    try {
      introductions = this.registry.join(peerId, documentIds)
    } catch (error) {
      if (!(error instanceof JoinLimitError)) throw error
      return this.#strike(conn, new ProtocolError('too-many-documents', error.message), conn.dialect)
    }
    if (conn.timer !== null && this.registry.hasJoined(peerId)) {
      clearTimeout(conn.timer)
      conn.timer = null
    }
    for (const [otherId, shared] of introductions) {
      const other = this.#peers.get(otherId)
      if (!other || shared.length === 0) continue
      this.#introduce(conn, otherId, shared)
      this.#introduce(other, peerId, shared)
    }
    if (this.#cluster !== null) this.#joinRemote(conn, documentIds)
  }

  /** The cluster records the Join, introduces the joiner on other instances, and names them to it. */
  #joinRemote(conn: Conn, documentIds: string[]): void {
    const peerId = conn.peerId as string
    void this.#cluster?.joined(peerId, documentIds).then((remote) => {
      if (this.#peers.get(peerId) !== conn) return
      for (const other of remote) this.#introduce(conn, other.peerId, other.documentIds)
    })
  }

  #introduce(to: Conn, peerId: string, documentIds: string[]): void {
    if (!to.open) return
    to.ws.send(encodeIntroduction(to.dialect, peerId, documentIds))
    this.#events.introduction()
  }

  /**
   * A bad message: JSON peers are told why; msgpack (relay) peers would throw on an unknown
   * message type, so they get nothing and the server logs a warning. Repeated abuse closes the socket.
   */
  #strike(conn: Conn, error: ProtocolError, dialect: Dialect): void {
    conn.strikes++
    if (dialect === 'json' && conn.open) conn.ws.send(encodeError(error))
    else this.#log.warn({ peerId: conn.peerId, code: error.code, strikes: conn.strikes }, error.message)
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
