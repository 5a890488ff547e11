import { Emitter } from '../../src/lib/events.ts'
import type { Channel, ChannelEvents, ChannelState } from '../../src/lib/mesh/channel.ts'
import type { PeerFactory, PeerLike } from '../../src/lib/mesh/peer.ts'
import type { RoomTransport } from '../../src/lib/room/room.svelte.ts'
import type { TransportDecision } from '../../src/lib/mesh/transport.ts'
import type { SignalState } from '../../src/lib/signaling/client.ts'
import { handshakeCrypto } from '../../src/lib/mesh/handshake.ts'
import { generateSigningKeys, signerFor, type Bytes, type Signer } from '../../src/lib/mesh/signing.ts'
import type { LinkTrust } from '../../src/lib/mesh/trust.ts'
import { deriveRoomKeys } from '../../src/lib/room/keys.ts'
import { createRoomSecret } from '../../src/lib/room/link.ts'

/** The real setImmediate, taken before any test fakes the timers: a turn of the event loop. */
const realSetImmediate = globalThis.setImmediate

/**
 * Wait until `done()` holds, turning the real event loop between checks: WebCrypto (signatures, the link
 * handshake, sealed frames) completes on Node's thread pool, which fake timers do not drive.
 */
export async function until(done: () => boolean, what = 'the condition'): Promise<void> {
  for (let turn = 0; turn < 100_000; turn++) {
    if (done()) return
    await new Promise<void>((resolve) => realSetImmediate(resolve))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** One member's identity for tests: a real Ed25519 key pair, its peer id, and the room's trust. */
export interface TestMember {
  id: string
  signer: Signer
  trust: LinkTrust
  roomKey: CryptoKey
}

export async function roomKeyFor(secret = createRoomSecret()): Promise<CryptoKey> {
  return (await deriveRoomKeys(secret)).roomKey
}

export async function testMember(roomKey: CryptoKey): Promise<TestMember> {
  const signer = await signerFor(await generateSigningKeys())
  return {
    id: signer.peerId,
    signer,
    roomKey,
    trust: { localId: signer.peerId, publicKey: signer.publicKey, crypto: handshakeCrypto(roomKey, signer) },
  }
}

/** Members of one room, in peer-id order (the first is the WebRTC initiator towards the others). */
export async function testMembers(count: number, roomKey?: CryptoKey): Promise<TestMember[]> {
  const key = roomKey ?? (await roomKeyFor())
  const members = await Promise.all(Array.from({ length: count }, () => testMember(key)))
  return members.sort((a, b) => (a.id < b.id ? -1 : 1))
}

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
 * the signals (the pipe). Offers and answers carry an SDP with this peer's DTLS fingerprint, as real
 * ones do. `connects: false` models ICE that never succeeds.
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
    if (initiator) queueMicrotask(() => this.emit('signal', { type: 'offer', from: this.id, sdp: this.sdp }))
  }

  /** An SDP as simple-peer hands it out, with this peer's own certificate fingerprint. */
  get sdp(): string {
    const bytes = Array.from(new TextEncoder().encode(this.id.padEnd(32, '.')).slice(0, 32), (b) =>
      b.toString(16).padStart(2, '0').toUpperCase(),
    )
    return `v=0\r\na=fingerprint:sha-256 ${bytes.join(':')}\r\na=setup:actpass\r\n`
  }

  signal(data: unknown): void {
    const { type, from } = data as { type: string; from: string }
    const other = FakePeer.registry.get(from)
    if (!other || this.destroyed) return
    this.other = other
    if (type === 'offer')
      queueMicrotask(() => this.emit('signal', { type: 'answer', from: this.id, sdp: this.sdp }))
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
  /** Each member's public key, which every link to it reports as verified. */
  readonly keys = new Map<string, Bytes>()

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
  /** The public keys the links verified, as the mesh would report them (set by the test). */
  readonly keys = new Map<string, Bytes>()

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

  publicKey(peer: string): Bytes | null {
    return this.links.has(peer) ? (this.keys.get(peer) ?? this.net.keys.get(peer) ?? null) : null
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
