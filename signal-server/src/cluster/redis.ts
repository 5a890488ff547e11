/**
 * The cluster through Redis (`REDIS_URL`): presence in Redis sets and hashes changed by atomic
 * scripts (scripts.ts), a heartbeat key per instance that expires when the instance dies, and one
 * pub/sub channel per instance for introductions, evictions and pipe frames (wire.ts).
 *
 * Pipes between instances use credits: a sender may have at most `window` bytes published and not yet
 * written out by the other instance; past that its socket stops being read until acknowledgements
 * return. Redis pub/sub has no backpressure of its own, so this bounds what a slow reader can make
 * Redis, or either instance, hold: one window per pipe (docs/cluster.md).
 *
 * With `direct` options (`CLUSTER_SECRET`), a pipe's frames, closes and credits travel over a direct
 * connection between the two instances when one is up as the pipe opens (direct.ts), Redis then only
 * pairing the two ends; otherwise they travel through Redis as above.
 *
 * When Redis is unreachable the instance serves locally (claims succeed, introductions stay local),
 * reports degraded, reconnects with backoff, and republishes its presence when Redis returns.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Conn } from '../conn.ts'
import { TickCork } from '../cork.ts'
import type {
  Cluster,
  ClusterMetrics,
  IntroductionSide,
  PipeSide,
  RemoteEnd,
  RemoteIntroduction,
} from './bus.ts'
import { DirectLinks, type DirectOptions, type Incoming, type Outgoing } from './direct.ts'
import { fitReason, type DirectFrame } from './direct-wire.ts'
import * as scripts from './scripts.ts'
import { PublishFrame } from './publish.ts'
import { sendPieces } from '../pieces.ts'
import { decodeBusMessage, encodeControl, type Control } from './wire.ts'

export interface RedisClusterOptions {
  url: string
  /** An instance whose heartbeat is this old is dead: its peers leave presence, its pipes close. */
  instanceTtlMs: number
  /** How long a waiting pipe side stays findable by other instances (the held-frame age). */
  holdMs: number
  /** Bytes a pipe side may have in flight to another instance before its reading pauses. */
  window: number
  /** Key and channel prefix, so several clusters can share one Redis. */
  prefix: string
  /** Direct links between instances for pipe traffic; null: every pipe goes through Redis. */
  direct: DirectOptions | null
}

type Path = 'direct' | 'redis'

/** One end of a pipe whose other end is on another instance. */
class Link implements RemoteEnd {
  readonly id: number
  readonly conn: Conn
  readonly instance: string
  /** The waiting side's key, while pairing. */
  readonly key: string
  /** The other instance's id for this pipe; null until it agreed (pairing). */
  peer: number | null
  /** Bytes published and not yet acknowledged. */
  inflight = 0
  /** Bytes written to our socket and not yet acknowledged to the sender. */
  unacked = 0
  /** Where this side sends frames and its close, fixed when the pipe opens; null: through Redis. */
  route: Outgoing | null = null
  /** The direct connection the other side's frames arrive on, once one has. */
  inbound: Incoming | null = null
  /** The pieces so far of a binary frame arriving in pieces over a direct connection; null between frames. */
  incoming: Buffer[] | null = null
  /** Their bytes. */
  incomingBytes = 0

  constructor(id: number, conn: Conn, instance: string, key: string, peer: number | null) {
    this.id = id
    this.conn = conn
    this.instance = instance
    this.key = key
    this.peer = peer
  }

  get open(): boolean {
    return this.peer !== null
  }
}

type Scripted = Redis & Record<keyof typeof SCRIPTS, (...args: (string | number)[]) => Promise<unknown>>

const SCRIPTS = {
  tClaim: scripts.CLAIM,
  tJoin: scripts.JOIN,
  tLeave: scripts.LEAVE,
  tRemove: scripts.REMOVE,
  tReap: scripts.REAP,
  tIsJoined: scripts.IS_JOINED,
  tPipeMatch: scripts.PIPE_MATCH,
  tPipeRelease: scripts.PIPE_RELEASE,
}

/** How long `start()` waits for Redis before serving locally (degraded) and connecting in the background. */
const START_WAIT_MS = 3_000

export class RedisCluster implements Cluster {
  readonly instanceId = randomBytes(8).toString('hex')
  readonly #options: RedisClusterOptions
  readonly #log: Logger
  readonly #cmd: Scripted
  readonly #sub: Redis
  readonly #p: string
  readonly #links = new Map<number, Link>()
  #nextLink = 1
  #introductions: IntroductionSide | null = null
  #pipes: PipeSide | null = null
  #healthy = false
  /** The heartbeat has run since Redis last (re)connected. */
  #beaten = false
  #beat: NodeJS.Timeout | null = null
  #closing = false
  readonly #bytes: Record<Path, { sent: number; received: number }> = {
    direct: { sent: 0, received: 0 },
    redis: { sent: 0, received: 0 },
  }
  readonly #direct: DirectLinks | null
  /** The address this instance's direct listener is reached at, published with its heartbeat. */
  #advertised: string | null = null
  /** Frames from other instances arrive in batches too: one write per socket and tick (cork.ts). */
  readonly #cork = new TickCork()

  readonly metrics: ClusterMetrics

  constructor(options: RedisClusterOptions, log: Logger) {
    this.#options = options
    this.#log = log.child({ instance: this.instanceId })
    this.#p = `${options.prefix}:`
    const common = {
      lazyConnect: true,
      // Commands fail at once while Redis is away, so the instance serves locally instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) =>
        Math.min(50 * 2 ** Math.min(times, 7), 5_000) * (0.5 + Math.random() / 2),
    }
    this.#cmd = new Redis(options.url, common) as Scripted
    for (const [name, lua] of Object.entries(SCRIPTS)) this.#cmd.defineCommand(name, { numberOfKeys: 0, lua })
    this.#sub = new Redis(options.url, { ...common, enableOfflineQueue: true })
    for (const client of [this.#cmd, this.#sub]) {
      client.on('error', (error: Error) => this.#log.debug({ err: error }, 'redis error'))
      client.on('ready', () => this.#updateHealth())
      client.on('close', () => this.#updateHealth())
    }
    this.#sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#receive(message))
    this.#direct =
      options.direct === null
        ? null
        : new DirectLinks(options.direct, this.instanceId, this.#log, {
            frame: (via, frame) => this.#directFrame(via, frame),
            incomingLost: (via) => this.#dropLinks((link) => link.inbound === via),
            outgoingLost: (out) => this.#dropLinks((link) => link.route === out),
            incomingUp: (instance) => void this.#dialInstance(instance),
          })
    this.metrics = {
      crossPipes: () => [...this.#links.values()].filter((link) => link.open).length,
      inflight: () => [...this.#links.values()].reduce((sum, link) => sum + link.inflight, 0),
      bytesSent: () => this.#bytes.direct.sent + this.#bytes.redis.sent,
      bytesReceived: () => this.#bytes.direct.received + this.#bytes.redis.received,
      bytesByPath: () => ({ direct: { ...this.#bytes.direct }, redis: { ...this.#bytes.redis } }),
      directLinks: () => ({ out: this.#direct?.outgoingUp ?? 0, in: this.#direct?.incomingCount ?? 0 }),
      onRoundTrip: null,
    }
  }

  get healthy(): boolean {
    return this.#healthy
  }

  bind(introductions: IntroductionSide, pipes: PipeSide): void {
    this.#introductions = introductions
    this.#pipes = pipes
  }

  async start(): Promise<void> {
    if (this.#direct !== null) this.#advertised = await this.#direct.listen()
    const connected = Promise.all([
      this.#cmd.connect(),
      this.#sub.connect().then(() => this.#sub.subscribe(this.#channel(this.instanceId))),
    ])
    const started = await Promise.race([
      connected.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), START_WAIT_MS).unref()),
    ]).catch(() => false)
    if (!started) this.#log.warn({ url: redactUrl(this.#options.url) }, 'redis unavailable: serving locally')
    this.#updateHealth()
    this.#beat = setInterval(() => void this.#heartbeat(), Math.max(50, this.#options.instanceTtlMs / 4))
    this.#beat.unref()
  }

  async close(): Promise<void> {
    this.#closing = true
    if (this.#beat) clearInterval(this.#beat)
    // Leave presence at once, rather than after the TTL: a clean shutdown is not a death.
    if (this.#healthy) {
      await this.#cmd
        .multi()
        .del(`${this.#p}inst:${this.instanceId}`)
        .exec()
        .then(() => this.#cmd.tReap(this.#p, this.instanceId))
        .catch(() => {})
    }
    this.#cmd.disconnect()
    this.#sub.disconnect()
    await this.#direct?.close()
  }

  // --- presence ---

  async claim(peerId: string, token: string | null): Promise<'ok' | 'conflict'> {
    if (!this.#healthy) return 'ok'
    try {
      const [result, previous] = (await this.#timed(
        this.#cmd.tClaim(this.#p, peerId, this.instanceId, tokenHash(token)),
      )) as [string, string]
      if (result === 'conflict') return 'conflict'
      if (previous !== '') this.#publish(previous, encodeControl({ k: 'evict', peer: peerId }))
      return 'ok'
    } catch (error) {
      this.#log.debug({ err: error }, 'claim failed; serving locally')
      return 'ok'
    }
  }

  async joined(peerId: string, documentIds: readonly string[]): Promise<RemoteIntroduction[]> {
    if (!this.#healthy || documentIds.length === 0) return []
    let flat: unknown[]
    try {
      flat = (await this.#timed(
        this.#cmd.tJoin(this.#p, peerId, this.instanceId, ...documentIds),
      )) as unknown[]
    } catch (error) {
      this.#log.debug({ err: error }, 'join failed; introductions stay local')
      return []
    }
    const remote: RemoteIntroduction[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) {
      remote.push({ peerId: flat[i] as string, documentIds: flat[i + 1] as string[] })
    }
    return remote
  }

  left(peerId: string, documentIds: readonly string[]): void {
    if (!this.#healthy || documentIds.length === 0) return
    this.#timed(this.#cmd.tLeave(this.#p, peerId, this.instanceId, ...documentIds)).catch(this.#ignore)
  }

  removed(peerId: string): void {
    if (!this.#healthy) return
    this.#timed(this.#cmd.tRemove(this.#p, peerId, this.instanceId)).catch(this.#ignore)
  }

  async isJoined(peerId: string, documentId: string): Promise<boolean> {
    if (!this.#healthy) return false
    try {
      return (await this.#timed(this.#cmd.tIsJoined(this.#p, peerId, documentId))) === 1
    } catch {
      return false
    }
  }

  // --- pipes ---

  pipeWaiting(conn: Conn, key: string, partnerKey: string): void {
    if (!this.#healthy) return
    this.#timed(this.#cmd.tPipeMatch(this.#p, key, partnerKey, this.instanceId, this.#options.holdMs)).then(
      (other) => {
        if (typeof other !== 'string') return
        // The partner waits on `other` and its key is now ours to answer: pair, even if `conn` has gone
        // meanwhile (the answer then closes the partner).
        const link = this.#link(conn, other, key, null)
        if (this.#pipes?.isWaiting(conn, key)) conn.remote = link
        this.#publish(
          other,
          encodeControl({ k: 'pair', from: this.instanceId, key: partnerKey, link: link.id }),
        )
      },
      this.#ignore,
    )
  }

  pipeReleased(key: string): void {
    if (!this.#healthy) return
    this.#cmd.tPipeRelease(this.#p, key, this.instanceId).catch(this.#ignore)
  }

  send(conn: Conn, data: Buffer, isBinary: boolean): void {
    const link = conn.remote as Link | null
    if (link === null || link.peer === null) return
    if (link.route !== null) {
      // A route that failed has closed this pipe already (outgoingLost); nothing more goes out.
      link.route.data(link.peer, data, isBinary)
      this.#bytes.direct.sent += data.length
    } else {
      if (this.#healthy) {
        const command = new PublishFrame(this.#channel(link.instance), link.peer, isBinary, data)
        this.#cmd.sendCommand(command)
        command.promise.catch(this.#ignore)
      }
      this.#bytes.redis.sent += data.length
    }
    link.inflight += data.length
    if (link.inflight > this.#options.window && !conn.backpressured) {
      conn.backpressured = true
      conn.ws.pause()
    }
  }

  closed(conn: Conn, code: number, reason: string): void {
    const link = conn.remote as Link | null
    if (link === null) return
    conn.remote = null
    this.#links.delete(link.id)
    if (link.peer === null) return
    // The close follows this side's last frames on the same path, so it cannot overtake them.
    if (link.route?.up === true) return link.route.close(link.peer, code, reason)
    this.#publish(
      link.instance,
      encodeControl({ k: 'close', link: link.peer, code, reason: reason.slice(0, 123) }),
    )
  }

  // --- internals ---

  #link(conn: Conn, instance: string, key: string, peer: number | null): Link {
    const id = this.#nextLink
    this.#nextLink = this.#nextLink >= 0xfffffffe ? 1 : this.#nextLink + 1
    const link = new Link(id, conn, instance, key, peer)
    this.#links.set(id, link)
    return link
  }

  #receive(message: Buffer): void {
    const decoded = decodeBusMessage(message)
    if (decoded === null)
      return void this.#log.warn({ bytes: message.length }, 'dropped a malformed bus message')
    if (decoded.kind === 'data') {
      const link = this.#links.get(decoded.link)
      if (link !== undefined) this.#data(link, decoded.payload, decoded.isBinary, 'redis')
      return
    }
    this.#control(decoded.control)
  }

  /** A frame over a direct connection: only for pipes to the instance it proved to be. */
  #directFrame(via: Incoming, frame: DirectFrame): void {
    const link = this.#links.get(frame.link)
    if (link === undefined || link.instance !== via.instance) return
    switch (frame.kind) {
      case 'data':
        link.inbound = via
        if (frame.first && frame.fin) return this.#data(link, frame.payload, frame.isBinary, 'direct')
        return this.#piece(link, frame.payload, frame.first, frame.fin)
      case 'close':
        return this.#closeLink(link.id, frame.code, frame.reason)
      case 'ack':
        return this.#ack(link.id, frame.bytes)
      default:
        return frame satisfies never
    }
  }

  #data(link: Link, payload: Buffer, isBinary: boolean, path: Path): void {
    const conn = link.conn
    // Frames may come direct before the 'paired' that opens our side comes through Redis: take them
    // only for a side still waiting as this pipe, never for a side that went elsewhere meanwhile.
    if (!conn.open || conn.remote !== link) return
    if (link.peer === null && this.#pipes?.isWaiting(conn, link.key) !== true) return
    this.#bytes[path].received += payload.length
    this.#cork.cork(conn.ws)
    conn.ws.send(payload, { binary: isBinary }, () => this.#written(link, payload.length))
  }

  /**
   * A piece of a binary frame arriving in pieces (direct-wire.ts), one per TCP read. The pieces are kept
   * (views of the reads: no copy) until the last; then, on an open pipe, they go out as one WebSocket
   * frame in one write (pieces.ts), as a frame within one instance does: one write, not one per read,
   * and one frame for the client to parse, not one per piece. At most one frame (`PIPE_MAX_PAYLOAD`)
   * per pipe is held here. A side not yet paired gets the frame assembled, as any other frame (#data).
   */
  #piece(link: Link, payload: Buffer, first: boolean, fin: boolean): void {
    if (first) {
      link.incoming = []
      link.incomingBytes = 0
    }
    const pieces = link.incoming
    if (pieces === null) return
    pieces.push(payload)
    link.incomingBytes += payload.length
    if (!fin) return
    link.incoming = null
    const conn = link.conn
    if (!link.open) return this.#data(link, Buffer.concat(pieces), true, 'direct')
    if (!conn.open || conn.remote !== link) return
    const length = link.incomingBytes
    this.#bytes.direct.received += length
    this.#cork.cork(conn.ws)
    sendPieces(conn.ws, pieces, length, () => this.#written(link, length))
  }

  /** `bytes` from the other instance are written to our socket: credit them back. */
  #written(link: Link, bytes: number): void {
    link.unacked += bytes
    // Acknowledge in quarters of the window: few messages, and the sender never runs dry.
    if (link.unacked >= this.#options.window / 4) this.#sendAck(link)
  }

  /** Credits back to the sender: direct when a connection to its instance is up, else through Redis. */
  #sendAck(link: Link): void {
    if (link.peer === null || link.unacked === 0 || !this.#links.has(link.id)) return
    const route = this.#direct?.route(link.instance) ?? null
    if (route !== null) route.ack(link.peer, link.unacked)
    else this.#publish(link.instance, encodeControl({ k: 'ack', link: link.peer, bytes: link.unacked }))
    link.unacked = 0
  }

  /** The path for a pipe opening to `instance`: direct when up; otherwise Redis, and dial for later. */
  #routeTo(instance: string): Outgoing | null {
    if (this.#direct === null) return null
    const route = this.#direct.route(instance)
    if (route === null) void this.#dialInstance(instance)
    return route
  }

  /** Look up `instance`'s direct address in Redis and dial it. */
  async #dialInstance(instance: string): Promise<void> {
    if (this.#direct === null || !this.#healthy) return
    try {
      const address = await this.#cmd.get(`${this.#p}inst:${instance}`)
      if (address !== null) this.#direct.dial(instance, address)
    } catch (error) {
      this.#ignore(error)
    }
  }

  /**
   * A direct connection ended: close the pipes it carried, whose frames may be lost, and tell the other
   * instance through Redis (it may not have noticed for a pipe that carried nothing its way yet).
   */
  #dropLinks(carried: (link: Link) => boolean): void {
    for (const link of [...this.#links.values()]) {
      if (!carried(link)) continue
      if (link.peer !== null) {
        const reason = 'the other side has gone'
        this.#publish(link.instance, encodeControl({ k: 'close', link: link.peer, code: 1001, reason }))
      }
      this.#closeLink(link.id, 1001, 'the other side has gone')
    }
  }

  #control(control: Control): void {
    switch (control.k) {
      case 'intro':
        return this.#introductions?.introduceLocal(control.to, control.from, control.docs)
      case 'evict':
        return this.#introductions?.evictLocal(control.peer)
      case 'pair':
        return this.#pair(control.from, control.key, control.link)
      case 'paired':
        return this.#paired(control.from, control.link, control.peer)
      case 'close':
        return this.#closeLink(control.link, control.code, control.reason)
      case 'ack':
        return this.#ack(control.link, control.bytes)
      default:
        return control satisfies never
    }
  }

  /** Another instance holds the partner of our waiting side `key`. */
  #pair(from: string, key: string, peer: number): void {
    const held = this.#pipes?.takeWaiting(key) ?? null
    if (held === null || !held.conn.open) {
      this.#publish(
        from,
        encodeControl({ k: 'close', link: peer, code: 1000, reason: 'the other side has gone' }),
      )
      return
    }
    const link = this.#link(held.conn, from, key, peer)
    link.route = this.#routeTo(from)
    held.conn.remote = link
    this.#publish(from, encodeControl({ k: 'paired', from: this.instanceId, link: peer, peer: link.id }))
    this.#pipes?.openedRemote(held.conn, held.frames)
  }

  #paired(from: string, id: number, peer: number): void {
    const link = this.#links.get(id)
    const held = link === undefined ? null : (this.#pipes?.takeWaiting(link.key, link.conn) ?? null)
    if (link === undefined || held === null) {
      // Our side went (closed, replaced, or paired here) while the other instance answered.
      if (link !== undefined) this.#links.delete(id)
      if (link !== undefined && link.conn.remote === link) link.conn.remote = null
      this.#publish(
        from,
        encodeControl({ k: 'close', link: peer, code: 1000, reason: 'the other side has gone' }),
      )
      return
    }
    link.peer = peer
    link.route = this.#routeTo(from)
    link.conn.remote = link
    // Frames that came direct before this answer are acknowledged now that the sender's id is known.
    if (link.unacked >= this.#options.window / 4) this.#sendAck(link)
    this.#pipes?.openedRemote(link.conn, held.frames)
  }

  #closeLink(id: number, code: number, reason: string): void {
    const link = this.#links.get(id)
    if (link === undefined) return
    this.#links.delete(id)
    link.conn.remote = null
    // The reason comes from another instance: a close with one over 123 bytes would throw in `ws`.
    this.#pipes?.closedRemote(link.conn, code, fitReason(reason), link.open)
  }

  #ack(id: number, bytes: number): void {
    const link = this.#links.get(id)
    if (link === undefined) return
    link.inflight = Math.max(0, link.inflight - bytes)
    const conn = link.conn
    if (!conn.backpressured || link.inflight > this.#options.window / 2) return
    conn.backpressured = false
    // A throttled side resumes when its queue drains (pipes.ts), not here.
    if (conn.open && conn.held === null) conn.ws.resume()
  }

  /**
   * Close every pipe to `instance` (every pipe when null: Redis was lost): its frames can no longer
   * arrive. The other end hears of it on the pipe's direct link when that is still up.
   */
  #closeLinks(instance: string | null): void {
    for (const link of [...this.#links.values()]) {
      if (instance !== null && link.instance !== instance) continue
      if (link.peer !== null && link.route?.up === true)
        link.route.close(link.peer, 1001, 'the other side has gone')
      this.#closeLink(link.id, 1001, 'the other side has gone')
    }
  }

  #publish(instance: string, message: Buffer): void {
    if (!this.#healthy) return
    this.#cmd.publish(this.#channel(instance), message).catch(this.#ignore)
  }

  /** An instance's channel; the JOIN script (scripts.ts) names it the same way. */
  #channel(instance: string): string {
    return `${this.#p}i:${instance}`
  }

  #timed<T>(command: Promise<T>): Promise<T> {
    const observe = this.metrics.onRoundTrip
    if (observe === null) return command
    const started = performance.now()
    return command.then((value) => {
      observe((performance.now() - started) / 1000)
      return value
    })
  }

  readonly #ignore = (error: unknown): void => {
    this.#log.debug({ err: error }, 'redis command failed')
  }

  #updateHealth(): void {
    const healthy = !this.#closing && this.#cmd.status === 'ready' && this.#sub.status === 'ready'
    if (healthy === this.#healthy) return
    this.#healthy = healthy
    if (this.#closing) return
    if (!healthy) {
      this.#log.warn('redis connection lost: serving locally, reconnecting')
      // Frames published meanwhile may be lost: end the pipes to other instances, clients reconnect.
      this.#closeLinks(null)
      return
    }
    this.#log.info('redis connected: publishing presence')
    this.#beaten = false
    void this.#heartbeat().then(() => this.#introductions?.republish())
  }

  async #heartbeat(): Promise<void> {
    if (!this.#healthy) return
    const me = this.instanceId
    try {
      const results = await this.#timed(
        this.#cmd
          .multi()
          .set(`${this.#p}inst:${me}`, this.#advertised ?? '1', 'PX', this.#options.instanceTtlMs)
          .sadd(`${this.#p}insts`, me)
          .smembers(`${this.#p}insts`)
          .exec(),
      )
      const added = results?.[1]?.[1] as number
      const members = (results?.[2]?.[1] ?? []) as string[]
      if (added === 1 && this.#beaten) {
        // Others presumed this instance dead (it was unreachable past its TTL) and dropped its peers.
        this.#log.warn('this instance had been dropped from the cluster: republishing presence')
        this.#closeLinks(null)
        this.#introductions?.republish()
      }
      this.#beaten = true
      const others = members.filter((id) => id !== me)
      if (others.length === 0) return
      const pipeline = this.#cmd.pipeline()
      // Each live instance's key holds its direct address ('1': none).
      for (const id of others) pipeline.get(`${this.#p}inst:${id}`)
      const alive = (await pipeline.exec()) ?? []
      for (const [i, id] of others.entries()) {
        const result = alive[i]
        if (result === undefined || result[0] !== null) continue
        const address = result[1]
        if (typeof address === 'string') {
          this.#direct?.dial(id, address)
          continue
        }
        this.#closeLinks(id)
        this.#direct?.drop(id)
        const reaped = (await this.#cmd.tReap(this.#p, id)) as number
        if (reaped >= 0)
          this.#log.info({ dead: id, peers: reaped }, 'an instance died: its peers left presence')
      }
    } catch (error) {
      this.#log.debug({ err: error }, 'heartbeat failed')
    }
  }
}

function tokenHash(token: string | null): string {
  return token === null ? '' : createHash('sha256').update(token).digest('hex')
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
