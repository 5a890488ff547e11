import * as v from 'valibot'
import { Emitter } from '../events.ts'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'
import { parseJson } from '../wire/parse.ts'
import type { Channel } from './channel.ts'
import { fragment, Reassembler } from './fragments.ts'
import { isInitiator, type PeerFactory, type PeerLike } from './peer.ts'
import {
  DATA_CHANNEL_TIMEOUT_MS,
  decideTransport,
  type DataChannelState,
  type TransportDecision,
} from './transport.ts'

/**
 * Frames on the signal-server pipe between two members (JSON text):
 * - `hello`: which incarnation of the session this side is (a reloaded tab has a new epoch, so the
 *   other side restarts WebRTC instead of talking to a peer connection that no longer exists);
 * - `signal`: simple-peer offer/answer/candidates;
 * - `no-webrtc`: this side cannot create a peer connection — relay at once, don't wait;
 * - `room`: a room-protocol message, when the pipe is the transport;
 * - `full`: the room already has its maximum number of members.
 */
const PipeFrame = v.variant('k', [
  v.object({ k: v.literal('hello'), epoch: v.string() }),
  v.object({ k: v.literal('signal'), data: v.unknown() }),
  v.object({ k: v.literal('no-webrtc') }),
  v.object({ k: v.literal('room'), m: v.string() }),
  v.object({ k: v.literal('full') }),
])
type PipeFrame = v.InferOutput<typeof PipeFrame>

export interface SessionEvents {
  /** The transport carrying the room protocol changed ('pending' while (re)negotiating). */
  transport: [TransportDecision]
  message: [data: string]
  /** The pipe closed; a new introduction may bring a new one (see Mesh). */
  'pipe-closed': []
  closed: [reason: string]
}

export interface SessionOptions {
  localId: string
  remoteId: string
  pipe: Channel
  createPeer: PeerFactory
  timers?: Timers
  now?: () => number
}

/** Everything between this tab and one other member: the pipe, the WebRTC peer, the fallback timer. */
export class PeerSession extends Emitter<SessionEvents> {
  readonly remoteId: string
  transport: TransportDecision = 'pending'
  readonly #options: SessionOptions
  readonly #timers: Timers
  readonly #now: () => number
  readonly #epoch = randomId()
  #remoteEpoch: string | null = null
  /** Messages sent over WebRTC: each long one's fragments carry its number (fragments.ts). */
  #sent = 0
  #pipe: Channel | null = null
  #releasePipe: (() => void)[] = []
  #peer: PeerLike | null = null
  #dataChannel: DataChannelState = 'pending'
  #startedAt = 0
  #timer: unknown = null

  constructor(options: SessionOptions) {
    super()
    this.remoteId = options.remoteId
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.attachPipe(options.pipe)
    this.#startPeer()
  }

  get pipeState(): Channel['state'] {
    return this.#pipe?.state ?? 'closed'
  }

  /** Use a new pipe after the old one closed (e.g. the signal server restarted). */
  attachPipe(pipe: Channel): void {
    this.#detachPipe()
    this.#pipe = pipe
    this.#releasePipe = [
      pipe.on('message', (data) => this.#onPipeMessage(data)),
      pipe.on('close', () => this.#onPipeClose(pipe)),
      pipe.on('open', () => this.#update()),
    ]
    pipe.send(JSON.stringify({ k: 'hello', epoch: this.#epoch } satisfies PipeFrame))
    if (this.#dataChannel === 'failed' && !this.#peer) this.#sendFrame({ k: 'no-webrtc' })
  }

  /** Send a room-protocol message on the current transport; false when there is none. */
  send(data: string): boolean {
    if (this.transport === 'webrtc' && this.#peer) {
      try {
        // A data-channel message is at most 256 KiB in Chromium: longer ones go in fragments (fragments.ts).
        for (const part of fragment(data, ++this.#sent)) this.#peer.send(part)
        return true
      } catch {
        this.#onPeerGone(this.#peer)
      }
    }
    if (this.transport === 'relay' && this.#pipe?.state === 'open') {
      this.#sendFrame({ k: 'room', m: data })
      return true
    }
    return false
  }

  destroy(reason = 'destroyed'): void {
    if (this.transport === 'closed') return
    this.transport = 'closed'
    this.#stopPeer()
    this.#detachPipe(true)
    this.emit('closed', reason)
    this.clear()
  }

  #startPeer(): void {
    this.#dataChannel = 'pending'
    this.#startedAt = this.#now()
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null
      this.#update()
    }, DATA_CHANNEL_TIMEOUT_MS)
    let peer: PeerLike
    try {
      peer = this.#options.createPeer({ initiator: isInitiator(this.#options.localId, this.remoteId) })
    } catch {
      // No WebRTC in this browser: tell the other side so it relays at once too.
      this.#dataChannel = 'failed'
      this.#sendFrame({ k: 'no-webrtc' })
      this.#update()
      return
    }
    this.#peer = peer
    peer.on('signal', (data) => {
      if (this.#peer === peer) this.#sendFrame({ k: 'signal', data })
    })
    peer.on('connect', () => {
      if (this.#peer !== peer) return
      this.#dataChannel = 'open'
      this.#update()
    })
    const reassembler = new Reassembler()
    peer.on('data', (data) => {
      if (this.#peer !== peer) return
      const message = reassembler.push(typeof data === 'string' ? data : decoder.decode(data))
      if (message !== null) this.emit('message', message)
    })
    peer.on('close', () => this.#onPeerGone(peer))
    peer.on('error', () => this.#onPeerGone(peer))
  }

  #stopPeer(): void {
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer)
    this.#timer = null
    const peer = this.#peer
    this.#peer = null
    try {
      peer?.destroy()
    } catch {
      // a peer that fails to tear down is gone either way
    }
  }

  #onPeerGone(peer: PeerLike): void {
    if (this.#peer !== peer) return
    this.#stopPeer()
    this.#dataChannel = 'failed'
    this.#update()
  }

  #onPipeMessage(data: string): void {
    const parsed = parseJson(PipeFrame, data)
    if (!parsed.ok) return
    const frame = parsed.value
    switch (frame.k) {
      case 'hello':
        if (this.#remoteEpoch !== null && this.#remoteEpoch !== frame.epoch) this.#restartPeer()
        this.#remoteEpoch = frame.epoch
        return
      case 'signal':
        try {
          this.#peer?.signal(frame.data)
        } catch {
          if (this.#peer) this.#onPeerGone(this.#peer)
        }
        return
      case 'no-webrtc':
        this.#stopPeer()
        this.#dataChannel = 'failed'
        this.#update()
        return
      case 'room':
        this.emit('message', frame.m)
        return
      case 'full':
        this.destroy('full')
        return
      default:
        frame satisfies never
    }
  }

  /** The other side is a new incarnation (a reload): negotiate WebRTC from scratch. */
  #restartPeer(): void {
    this.#stopPeer()
    this.transport = 'pending'
    this.emit('transport', 'pending')
    this.#startPeer()
  }

  #onPipeClose(pipe: Channel): void {
    if (this.#pipe !== pipe) return
    this.#detachPipe()
    this.emit('pipe-closed')
    this.#update()
  }

  #detachPipe(close = false): void {
    for (const release of this.#releasePipe.splice(0)) release()
    if (close) this.#pipe?.close()
    this.#pipe = null
  }

  #sendFrame(frame: PipeFrame): void {
    this.#pipe?.send(JSON.stringify(frame))
  }

  #update(): void {
    if (this.transport === 'closed') return
    const decision = decideTransport({
      dataChannel: this.#dataChannel,
      pipe: this.pipeState,
      waitedMs: this.#now() - this.#startedAt,
    })
    if (decision === this.transport) return
    if (decision === 'closed') return this.destroy('disconnected')
    this.transport = decision
    this.emit('transport', decision)
  }
}

const decoder = new TextDecoder()
