import { Emitter } from '../events.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { Channel } from './channel.ts'
import type { PeerFactory } from './peer.ts'
import { Rejoiner } from './rejoin.ts'
import { PeerSession } from './session.ts'
import type { Bytes } from './signing.ts'
import type { LinkTrust } from './trust.ts'
import { carries, type TransportDecision } from './transport.ts'

/** Members in one room, this tab included. A full mesh of 8 is 28 connections. */
const MAX_MEMBERS = 8
/** How long a refused newcomer's pipe stays open so it can read "full". */
const REFUSAL_LINGER_MS = 10_000
/**
 * A peer whose handshake failed is not tried again for this long, doubling on each failure up to
 * UNTRUSTED_BACKOFF_MAX_MS: a stranger re-joining the document cannot make us handshake in a loop.
 */
export const UNTRUSTED_BACKOFF_MS = 30_000
export const UNTRUSTED_BACKOFF_MAX_MS = 10 * 60_000

export interface Introductions {
  on(event: 'introduction', listener: (peerId: string, documentIds: string[]) => void): () => void
}

export interface MeshEvents {
  transport: [peerId: string, transport: TransportDecision]
  message: [peerId: string, data: string]
  closed: [peerId: string, reason: string]
}

export interface MeshOptions {
  localId: string
  documentId: string
  introductions: Introductions
  /** Opens `/connection/<local>/<remote>/<document>`. */
  openPipe: (remoteId: string) => Channel
  createPeer: PeerFactory
  /** This tab's identity and the room's crypto, for every link's handshake. */
  trust: LinkTrust
  timers?: Timers
  now?: () => number
  maxMembers?: number
  /** Ask the signal server to introduce us to the document's members again (mesh/rejoin.ts says when). */
  rejoin?: () => void
}

/**
 * One PeerSession per introduced member of the room. Owns every session and pipe it made.
 * Messages leave here tagged with the peer whose channel they came through — the only sender
 * identity the room protocol trusts, since every link proved it (handshake.ts) before carrying one.
 */
export class Mesh extends Emitter<MeshEvents> {
  readonly #options: MeshOptions
  readonly #timers: Timers
  readonly #sessions = new Map<string, PeerSession>()
  /** Introduced again while the old pipe still looked open: reconnect once it closes. */
  readonly #reintroduced = new Set<string>()
  readonly #banned = new Set<string>()
  readonly #refusals = new Map<PeerSession, unknown>()
  /** Peers whose handshake failed: not before `until`, and the wait after the next failure. */
  readonly #untrusted = new Map<string, { until: number; backoff: number }>()
  readonly #unsubscribe: () => void
  readonly #rejoiner: Rejoiner
  #destroyed = false

  constructor(options: MeshOptions) {
    super()
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#rejoiner = new Rejoiner(() => {
      if (!this.#destroyed) options.rejoin?.()
    }, this.#timers)
    this.#unsubscribe = options.introductions.on('introduction', (peerId, documentIds) => {
      if (documentIds.includes(options.documentId)) this.#onIntroduction(peerId)
    })
  }

  get peerIds(): string[] {
    return [...this.#sessions.keys()]
  }

  /** The public key a member's link verified (its peer id is this key's hash); null before that. */
  publicKey(peerId: string): Bytes | null {
    return this.#sessions.get(peerId)?.remotePublicKey ?? null
  }

  send(peerId: string, data: string): boolean {
    return this.#sessions.get(peerId)?.send(data) ?? false
  }

  broadcast(data: string): void {
    for (const session of this.#sessions.values()) session.send(data)
  }

  /** Close the session with a member that went silent; its next introduction starts a new one. */
  disconnect(peerId: string): void {
    this.#sessions.get(peerId)?.destroy('silent')
  }

  /** Drop a member and ignore every future introduction of it (the host removed it). */
  ban(peerId: string): void {
    this.#banned.add(peerId)
    this.#sessions.get(peerId)?.destroy('removed')
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#unsubscribe()
    this.#rejoiner.stop()
    for (const session of [...this.#sessions.values()]) session.destroy('left')
    for (const [session, timer] of this.#refusals) {
      this.#timers.clearTimeout(timer)
      session.destroy('left')
    }
    this.#refusals.clear()
    this.clear()
  }

  #onIntroduction(peerId: string): void {
    if (this.#destroyed || peerId === this.#options.localId || this.#banned.has(peerId)) return
    if ((this.#untrusted.get(peerId)?.until ?? 0) > this.#now()) return
    const session = this.#sessions.get(peerId)
    if (session) {
      if (session.pipeState === 'closed') session.attachPipe(this.#options.openPipe(peerId))
      else this.#reintroduced.add(peerId)
      return
    }
    if (this.#sessions.size + 1 >= (this.#options.maxMembers ?? MAX_MEMBERS)) return this.#refuse(peerId)
    this.#startSession(peerId)
  }

  #startSession(peerId: string): void {
    const session = new PeerSession({
      localId: this.#options.localId,
      remoteId: peerId,
      pipe: this.#options.openPipe(peerId),
      createPeer: this.#options.createPeer,
      trust: this.#options.trust,
      timers: this.#timers,
      now: this.#options.now,
    })
    this.#sessions.set(peerId, session)
    session.on('transport', (transport) => {
      if (carries(transport)) this.#rejoiner.linkUp()
      this.emit('transport', peerId, transport)
    })
    session.on('message', (data) => this.emit('message', peerId, data))
    session.on('pipe-closed', () => {
      if (this.#reintroduced.delete(peerId) && session.transport !== 'closed') {
        session.attachPipe(this.#options.openPipe(peerId))
      }
    })
    session.on('closed', (reason) => {
      if (this.#sessions.get(peerId) === session) this.#sessions.delete(peerId)
      if (reason === 'untrusted') this.#distrust(peerId)
      // Its pipe closed before the link ever came up: the other side may hold an introduction it has yet
      // to act on, so both are introduced again (rejoin.ts).
      if (reason === 'disconnected' && session.remotePublicKey === null) this.#rejoiner.linkFailed()
      this.emit('closed', peerId, reason)
      if (this.#reintroduced.delete(peerId) && !this.#destroyed && !this.#banned.has(peerId)) {
        this.#startSession(peerId)
      }
    })
  }

  #now(): number {
    return (this.#options.now ?? Date.now)()
  }

  #distrust(peerId: string): void {
    const backoff = this.#untrusted.get(peerId)?.backoff ?? UNTRUSTED_BACKOFF_MS
    this.#untrusted.set(peerId, {
      until: this.#now() + backoff,
      backoff: Math.min(backoff * 2, UNTRUSTED_BACKOFF_MAX_MS),
    })
  }

  /**
   * Tell a newcomer the room is full, then let the pipe go. The refusal goes sealed after a handshake like
   * any link's, so only a member of the room can turn a newcomer away.
   */
  #refuse(peerId: string): void {
    const session = new PeerSession({
      localId: this.#options.localId,
      remoteId: peerId,
      pipe: this.#options.openPipe(peerId),
      createPeer: this.#options.createPeer,
      trust: this.#options.trust,
      refuse: true,
      timers: this.#timers,
      now: this.#options.now,
    })
    const release = () => {
      this.#timers.clearTimeout(this.#refusals.get(session))
      this.#refusals.delete(session)
      session.destroy('full')
    }
    this.#refusals.set(session, this.#timers.setTimeout(release, REFUSAL_LINGER_MS))
    session.on('closed', (reason) => {
      if (reason === 'untrusted') this.#distrust(peerId)
      if (this.#refusals.has(session)) release()
    })
  }
}
