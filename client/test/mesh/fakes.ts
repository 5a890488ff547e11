import { Emitter } from '../../src/lib/events.ts'
import type { Channel, ChannelEvents, ChannelState } from '../../src/lib/mesh/channel.ts'
import type { PeerFactory, PeerLike } from '../../src/lib/mesh/peer.ts'
import type { RoomTransport } from '../../src/lib/room/room.svelte.ts'
import type { TransportDecision } from '../../src/lib/mesh/transport.ts'
import type { SignalState } from '../../src/lib/signaling/client.ts'

type PeerEvents = {
  signal: [unknown]
  connect: []
  close: []
  data: [Uint8Array | string]
  error: [Error]
}

/**
 * A fake WebRTC peer: the initiator "offers" a token naming itself, the answerer links to it, and
 * both connect once the answer comes back — simple-peer's handshake shape, over whatever carries
 * the signals (the pipe). `connects: false` models ICE that never succeeds.
 */
export class FakePeer extends Emitter<PeerEvents> implements PeerLike {
  static registry = new Map<string, FakePeer>()
  static maxMessageSize = 256 * 1024
  static count = 0
  readonly id = `fake-${++FakePeer.count}`
  other: FakePeer | null = null
  connected = false
  destroyed = false

  constructor(
    readonly initiator: boolean,
    readonly connects: boolean,
  ) {
    super()
    FakePeer.registry.set(this.id, this)
    if (initiator) queueMicrotask(() => this.emit('signal', { type: 'offer', from: this.id }))
  }

  signal(data: unknown): void {
    const { type, from } = data as { type: string; from: string }
    const other = FakePeer.registry.get(from)
    if (!other || this.destroyed) return
    this.other = other
    if (type === 'offer') queueMicrotask(() => this.emit('signal', { type: 'answer', from: this.id }))
    else if (type === 'answer' && this.connects && other.connects) {
      queueMicrotask(() => {
        this.#connect()
        other.#connect()
      })
    }
  }

  send(data: string): void {
    if (!this.connected) throw new Error('not connected')
    // Chromium's data channels refuse a message over their max-message-size (256 KiB).
    if (new TextEncoder().encode(data).length > FakePeer.maxMessageSize)
      throw new TypeError('Trying to send message larger than max-message-size')
    const other = this.other
    queueMicrotask(() => other?.emit('data', new TextEncoder().encode(data)))
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    const wasConnected = this.connected
    this.connected = false
    this.emit('close')
    this.clear()
    if (wasConnected) queueMicrotask(() => this.other?.destroy())
  }

  #connect(): void {
    if (this.destroyed || this.connected) return
    this.connected = true
    this.emit('connect')
  }
}

export function fakePeers(connects = true): PeerFactory & { made: FakePeer[] } {
  const made: FakePeer[] = []
  const factory = ({ initiator }: { initiator: boolean }) => {
    const peer = new FakePeer(initiator, connects)
    made.push(peer)
    return peer
  }
  return Object.assign(factory, { made })
}

export const noWebRTC: PeerFactory = () => {
  throw new Error('No WebRTC support')
}

/** Let queued microtasks (channel deliveries, fake handshakes) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

/** A pipe pair, opened like the server opens it when both sides have arrived. */
export function pipePair(): [MemoryChannel, MemoryChannel] {
  const pair = MemoryChannel.pair()
  MemoryChannel.connect(pair[0])
  return pair
}

type NetEvents = {
  transport: [string, TransportDecision]
  message: [string, string]
  closed: [string, string]
}

/**
 * An in-memory room network for Room stores: each member's RoomTransport delivers to the others
 * asynchronously, tagged with the sender — like the mesh, where the channel names the sender.
 */
export class FakeNet {
  readonly transports = new Map<string, FakeTransport>()

  add(id: string): FakeTransport {
    const transport = new FakeTransport(id, this)
    this.transports.set(id, transport)
    return transport
  }

  /** Link two members (both get a 'transport' event, then talk). */
  link(a: string, b: string): void {
    this.transports.get(a)!.connect(b)
    this.transports.get(b)!.connect(a)
  }

  /** A member's tab goes away: everyone else's link to it closes. */
  drop(id: string): void {
    const gone = this.transports.get(id)
    if (!gone) return
    this.transports.delete(id)
    for (const peer of gone.links) this.transports.get(peer)?.lose(id, 'disconnected')
  }
}

export class FakeTransport extends Emitter<NetEvents> implements RoomTransport {
  readonly links = new Set<string>()
  readonly banned = new Set<string>()

  constructor(
    readonly id: string,
    readonly net: FakeNet,
  ) {
    super()
  }

  connect(peer: string): void {
    if (this.banned.has(peer)) return
    this.links.add(peer)
    this.emit('transport', peer, 'webrtc')
  }

  /** The link closed underneath (the other tab went away). */
  lose(peer: string, reason: string): void {
    if (this.links.delete(peer)) this.emit('closed', peer, reason)
  }

  send(peer: string, data: string): boolean {
    if (!this.links.has(peer)) return false
    const target = this.net.transports.get(peer)
    if (this.muted) return true
    queueMicrotask(() => {
      if (target?.links.has(this.id)) target.emit('message', this.id, data)
    })
    return true
  }

  broadcast(data: string): void {
    for (const peer of this.links) this.send(peer, data)
  }

  /** A tab that stopped answering without closing its links. */
  muted = false

  disconnect(peer: string): void {
    this.lose(peer, 'silent')
  }

  ban(peer: string): void {
    this.banned.add(peer)
    this.lose(peer, 'removed')
    this.net.transports.get(peer)?.lose(this.id, 'disconnected')
  }
}

export const connectedSignaling = {
  state: { kind: 'connected' } as SignalState,
  on: () => () => {},
  join: () => {},
}

/**
 * Two connected in-memory channels. Delivery is asynchronous (a microtask), like a real socket,
 * and closing one end closes the other, like a pipe.
 */
export class MemoryChannel extends Emitter<ChannelEvents> implements Channel {
  state: ChannelState = 'connecting'
  peer: MemoryChannel | null = null
  #queue: string[] = []

  static pair(): [MemoryChannel, MemoryChannel] {
    const a = new MemoryChannel()
    const b = new MemoryChannel()
    a.peer = b
    b.peer = a
    return [a, b]
  }

  /** Open both ends (a real pipe opens when the socket connects). */
  static connect(a: MemoryChannel): void {
    for (const end of [a, a.peer]) {
      if (!end || end.state !== 'connecting') continue
      end.state = 'open'
      end.emit('open')
    }
    for (const end of [a, a.peer]) if (end) end.#flush()
  }

  send(data: string): void {
    if (this.state === 'connecting') this.#queue.push(data)
    else if (this.state === 'open') this.#deliver(data)
  }

  close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.emit('close')
    this.clear()
    const peer = this.peer
    queueMicrotask(() => peer?.close())
  }

  #flush(): void {
    for (const data of this.#queue.splice(0)) this.#deliver(data)
  }

  #deliver(data: string): void {
    const peer = this.peer
    queueMicrotask(() => {
      if (peer?.state === 'open') peer.emit('message', data)
    })
  }
}
