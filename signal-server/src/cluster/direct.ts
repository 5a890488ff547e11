/**
 * Direct links between instances, for the bulk of pipe traffic: Redis copies every byte of a pub/sub
 * message in and out again, so a pipe across instances through Redis runs at a third of one within an
 * instance. Here each instance listens on an internal address (`CLUSTER_LISTEN`), published in Redis
 * with its heartbeat, and dials every other live instance it learns of there: one TCP connection per
 * ordered pair of instances, carrying that direction's pipe frames, closes and credits (direct-wire.ts).
 * Both ends prove they know `CLUSTER_SECRET` before a byte of a pipe passes; anything else is refused.
 *
 * Redis stays the source of truth for discovery, presence and pairing; a pipe whose instance has no
 * direct link up when it opens uses Redis instead (redis.ts), and a link that fails closes the pipes
 * it carried, as Redis going away does.
 */
import { randomBytes } from 'node:crypto'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import {
  CHALLENGE_BYTES,
  DIAL_MAX_BYTES,
  FrameReader,
  HEADER_BYTES,
  Kind,
  MAC_BYTES,
  NONCE_BYTES,
  ackPayload,
  challenge,
  checkAccept,
  checkDial,
  closePayload,
  dial,
  formatAddress,
  header,
  parseAddress,
  type DirectFrame,
} from './direct-wire.ts'

export interface DirectOptions {
  /** Shared by every instance of the cluster; proves a connection comes from one of them. */
  secret: string
  /** Where the internal listener binds (port 0: any free port). */
  host: string
  port: number
  /** `host[:port]` other instances dial; null: the bound address. */
  advertise: string | null
  /** The largest frame accepted (the pipe's maximum payload). */
  maxPayload: number
}

/** How long either side of a handshake waits for the other. */
const HANDSHAKE_MS = 5_000
/** Connections still proving themselves, at most: the rest are refused before reading a byte. */
const MAX_UNPROVEN = 64

/** A connection this instance dialed: it sends frames to `instance`. */
export class Outgoing {
  readonly instance: string
  readonly #socket: Socket
  up = false
  #corked = false

  constructor(instance: string, socket: Socket) {
    this.instance = instance
    this.#socket = socket
  }

  data(link: number, payload: Buffer, isBinary: boolean): void {
    this.#write(isBinary ? Kind.Binary : Kind.Text, link, payload)
  }

  close(link: number, code: number, reason: string): void {
    this.#write(Kind.Close, link, closePayload(code, reason))
  }

  ack(link: number, bytes: number): void {
    this.#write(Kind.Ack, link, ackPayload(bytes))
  }

  destroy(): void {
    this.#socket.destroy()
  }

  /**
   * Header and payload as two writes of one corked socket, so the payload is never copied; the socket
   * stays corked until the end of the tick, so the frames of one tick leave in one `writev`. Credits
   * bound what a socket can queue (one window per pipe), so its own backpressure is not needed.
   */
  #write(kind: Kind, link: number, payload: Buffer): void {
    if (!this.up) return
    if (!this.#corked) {
      this.#corked = true
      this.#socket.cork()
      process.nextTick(this.#uncork)
    }
    this.#socket.write(header(kind, link, payload.length))
    if (payload.length > 0) this.#socket.write(payload)
  }

  readonly #uncork = (): void => {
    this.#corked = false
    this.#socket.uncork()
  }
}

/** A connection another instance dialed, proven to be `instance`: frames from it arrive here. */
export class Incoming {
  readonly instance: string
  readonly socket: Socket

  constructor(instance: string, socket: Socket) {
    this.instance = instance
    this.socket = socket
  }
}

export interface DirectEvents {
  frame(via: Incoming, frame: DirectFrame): void
  /** A proven connection from another instance ended: what it carried may be cut short. */
  incomingLost(via: Incoming): void
  /** A connection to another instance ended after it was up: what was sent on it may be lost. */
  outgoingLost(to: Outgoing): void
  /** Another instance dialed us: dial it back, so both directions go direct. */
  incomingUp(instance: string): void
}

export class DirectLinks {
  readonly #options: DirectOptions
  readonly #me: string
  readonly #log: Logger
  readonly #events: DirectEvents
  readonly #server: Server
  readonly #outgoing = new Map<string, Outgoing>()
  readonly #incoming = new Set<Incoming>()
  /** Instances the last dial to failed: warned about once, until a dial succeeds again. */
  readonly #failing = new Set<string>()
  /**
   * Instances that did not prove the secret (or found ours wrong): not dialed again, since a secret
   * does not change within a process and each dial would log a refusal at both ends.
   */
  readonly #distrusted = new Set<string>()
  #unproven = 0
  #closing = false

  constructor(options: DirectOptions, me: string, log: Logger, events: DirectEvents) {
    this.#options = options
    this.#me = me
    this.#log = log
    this.#events = events
    this.#server = createServer((socket) => this.#accept(socket))
  }

  /** Listen on the internal address; resolves with the address other instances are to dial. */
  async listen(): Promise<string> {
    const { host, port } = this.#options
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#server.on('error', (error) => this.#log.warn({ err: error }, 'internal listener error'))
    const address = this.#server.address()
    const bound = typeof address === 'object' && address !== null ? address.port : port
    const advertise = this.#options.advertise
    const advertised =
      advertise === null
        ? formatAddress(host, bound)
        : parseAddress(advertise) !== null
          ? advertise
          : formatAddress(advertise, bound)
    this.#log.info({ listen: formatAddress(host, bound), advertise: advertised }, 'internal listener up')
    return advertised
  }

  /** The connection up to `instance`, or null (then pipes to it go through Redis). */
  route(instance: string): Outgoing | null {
    const out = this.#outgoing.get(instance)
    return out !== undefined && out.up ? out : null
  }

  get outgoingUp(): number {
    let up = 0
    for (const out of this.#outgoing.values()) if (out.up) up++
    return up
  }

  get incomingCount(): number {
    return this.#incoming.size
  }

  /** Dial `instance` at `address` unless a connection to it is up or under way. */
  dial(instance: string, address: string): void {
    if (this.#closing || instance === this.#me || this.#outgoing.has(instance)) return
    if (this.#distrusted.has(instance)) return
    const target = parseAddress(address)
    if (target === null) return this.#log.debug({ instance, address }, 'not a direct address')
    const socket = createConnection({ host: target.host, port: target.port })
    const out = new Outgoing(instance, socket)
    this.#outgoing.set(instance, out)
    socket.setNoDelay(true)
    socket.setKeepAlive(true, HANDSHAKE_MS)
    const nonce = randomBytes(NONCE_BYTES)
    const timer = setTimeout(() => socket.destroy(new Error('no handshake within 5 s')), HANDSHAKE_MS)
    timer.unref()
    let received = Buffer.alloc(0)
    let answered = false
    let failure: Error | null = null
    /** The other end is no instance of this cluster, or has another secret: a misconfiguration. */
    let unproven = false
    const distrust = (reason: string): void => {
      unproven = true
      this.#distrusted.add(instance)
      socket.destroy(new Error(reason))
    }
    socket.on('data', (chunk: Buffer) => {
      // The listener sends its challenge and its answer, nothing after.
      if (out.up) return socket.destroy(new Error('unexpected bytes from the listener'))
      received = Buffer.concat([received, chunk])
      if (!answered) {
        if (received.length < CHALLENGE_BYTES) return
        const message = dial(
          this.#options.secret,
          received.subarray(0, CHALLENGE_BYTES),
          this.#me,
          instance,
          nonce,
        )
        if (message === null) return distrust('not an instance of this cluster')
        socket.write(message)
        received = received.subarray(CHALLENGE_BYTES)
        answered = true
      }
      if (received.length < MAC_BYTES) return
      if (
        received.length > MAC_BYTES ||
        !checkAccept(this.#options.secret, received, nonce, this.#me, instance)
      )
        return distrust('its answer does not prove the shared secret')
      clearTimeout(timer)
      out.up = true
      this.#failing.delete(instance)
      this.#log.info({ to: instance, address }, 'direct link up')
    })
    socket.on('error', (error) => (failure = error))
    socket.on('close', () => {
      clearTimeout(timer)
      if (this.#outgoing.get(instance) === out) this.#outgoing.delete(instance)
      if (out.up) {
        out.up = false
        if (!this.#closing) this.#log.info({ to: instance }, 'direct link lost: its pipes close')
        this.#events.outgoingLost(out)
        return
      }
      if (this.#closing) return
      // Cut off right after our proof: the listener refused it (another secret).
      if (answered && !unproven) {
        unproven = true
        this.#distrusted.add(instance)
      }
      // Each heartbeat dials again; say so once, not on every beat. A refused or cut connection is
      // also what a dying instance looks like, so only a failed proof is worth a warning.
      const details = { to: instance, address, err: failure }
      if (this.#failing.has(instance)) return this.#log.debug(details, 'direct link failed: pipes use Redis')
      this.#failing.add(instance)
      if (unproven) this.#log.warn(details, 'direct link refused: pipes to that instance use Redis')
      else this.#log.info(details, 'direct link failed: pipes to that instance use Redis')
    })
  }

  /** `instance` is gone: end the connections to and from it. */
  drop(instance: string): void {
    this.#outgoing.get(instance)?.destroy()
    for (const via of this.#incoming) if (via.instance === instance) via.socket.destroy()
    this.#failing.delete(instance)
    this.#distrusted.delete(instance)
  }

  async close(): Promise<void> {
    this.#closing = true
    for (const out of this.#outgoing.values()) out.destroy()
    for (const via of this.#incoming) via.socket.destroy()
    if (!this.#server.listening) return
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress
    if (this.#closing || this.#unproven >= MAX_UNPROVEN) {
      this.#log.warn({ address }, 'refused an internal connection: too many unproven connections')
      return void socket.destroy()
    }
    this.#unproven++
    socket.setNoDelay(true)
    socket.setKeepAlive(true, HANDSHAKE_MS)
    const nonce = randomBytes(NONCE_BYTES)
    let received = Buffer.alloc(0)
    let proven: Incoming | null = null
    const refuse = (reason: string): void => {
      this.#log.warn({ address, reason }, 'refused an internal connection')
      socket.destroy()
    }
    const timer = setTimeout(() => refuse('no proof of the shared secret within 5 s'), HANDSHAKE_MS)
    timer.unref()
    const prove = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk])
      if (received.length > DIAL_MAX_BYTES) return refuse('too many bytes before its proof')
      const check = checkDial(this.#options.secret, received, nonce, this.#me)
      if (check.kind === 'more') return
      if (check.kind === 'refused') return refuse(check.reason)
      clearTimeout(timer)
      this.#unproven--
      socket.off('data', prove)
      socket.write(check.answer)
      const via = new Incoming(check.dialer, socket)
      proven = via
      this.#incoming.add(via)
      this.#read(via)
      this.#events.incomingUp(check.dialer)
      if (check.rest.length > 0) socket.emit('data', check.rest)
    }
    socket.on('data', prove)
    socket.on('error', (error) => this.#log.debug({ err: error, address }, 'internal connection error'))
    socket.on('close', () => {
      clearTimeout(timer)
      if (proven === null) return void this.#unproven--
      this.#incoming.delete(proven)
      this.#events.incomingLost(proven)
    })
    socket.write(challenge(nonce))
  }

  #read(via: Incoming): void {
    const reader = new FrameReader(this.#options.maxPayload + HEADER_BYTES)
    via.socket.on('data', (chunk: Buffer) => {
      const frames = reader.push(chunk)
      if (!Array.isArray(frames)) {
        this.#log.warn({ from: via.instance, reason: frames.error }, 'dropped a direct link: bad frame')
        return void via.socket.destroy()
      }
      for (const frame of frames) this.#events.frame(via, frame)
    })
  }
}
