import * as v from 'valibot'
import { Emitter } from '../events.ts'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'
import { parseJson } from '../wire/parse.ts'
import type { Channel } from './channel.ts'
import { fragment, Reassembler } from './fragments.ts'
import type { Handshake } from './handshake.ts'
import { isInitiator, type PeerFactory, type PeerLike } from './peer.ts'
import { SecureFrames } from './secure-pipe.ts'
import type { Bytes } from './signing.ts'
import {
  DATA_CHANNEL_TIMEOUT_MS,
  decideTransport,
  type DataChannelState,
  type TransportDecision,
} from './transport.ts'
import {
  helloFields,
  HelloFields,
  newHandshake,
  proofFields,
  ProofFields,
  sdpFingerprint,
  toHello,
  toProof,
  type LinkTrust,
  type TrustFailure,
} from './trust.ts'

/**
 * Frames on the signal-server pipe between two members (JSON text). In the clear, only the handshake:
 * - `hello`: this side's peer id, public key and a fresh nonce, and which incarnation of the session it is
 *   (a reloaded tab has a new epoch, so the other side restarts WebRTC instead of talking to a peer
 *   connection that no longer exists);
 * - `proof`: the handshake proof (handshake.ts), sent on receiving the other side's hello;
 * - `sealed`: everything else, encrypted (secure-pipe.ts), from right after this side's proof on.
 */
const PipeFrame = v.variant('k', [
  v.object({ k: v.literal('hello'), epoch: v.pipe(v.string(), v.maxLength(64)), ...HelloFields }),
  v.object({ k: v.literal('proof'), ...ProofFields }),
  v.object({ k: v.literal('sealed'), c: v.string() }),
])
type PipeFrame = v.InferInput<typeof PipeFrame>

/**
 * Frames inside `sealed`:
 * - `rtc-hello`: this side's hello for the handshake on the WebRTC data channel of its current peer;
 * - `signal`: simple-peer offer/answer/candidates;
 * - `no-webrtc`: this side cannot create a peer connection — relay at once, don't wait;
 * - `room`: a room-protocol message, when the pipe is the transport;
 * - `full`: the room already has its maximum number of members.
 */
const InnerFrame = v.variant('k', [
  v.object({ k: v.literal('rtc-hello'), ...HelloFields }),
  v.object({ k: v.literal('signal'), data: v.unknown() }),
  v.object({ k: v.literal('no-webrtc') }),
  v.object({ k: v.literal('room'), m: v.string() }),
  v.object({ k: v.literal('full') }),
])
type InnerFrame = v.InferInput<typeof InnerFrame>

/** The first message on a data channel: that side's handshake proof. */
const RtcProof = v.object({ k: v.literal('rtc-proof'), ...ProofFields })

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
  trust: LinkTrust
  /** Only prove ourselves and tell the other side the room is full (Mesh's refusal). */
  refuse?: boolean
  timers?: Timers
  now?: () => number
}

/** One pipe and its handshake: frames are sealed once both hellos are known, trusted once verified. */
interface PipeLink {
  pipe: Channel
  handshake: Handshake
  frames: SecureFrames | null
  verified: boolean
  /** Inner frames waiting for the keys. */
  outbox: InnerFrame[]
  /** Incoming frames are handled one after the other (the crypto is asynchronous). */
  inbox: Promise<void>
  /** Outgoing sealed frames leave in the order they were sealed. */
  sending: Promise<void>
}

/** One WebRTC peer and its data channel's handshake. */
interface RtcLink {
  peer: PeerLike
  handshake: Handshake
  localFingerprint: string | null
  remoteFingerprint: string | null
  proofSent: boolean
  verified: boolean
  inbox: Promise<void>
}

/**
 * Everything between this tab and one other member: the pipe, the WebRTC peer, the fallback timer. No room
 * message passes before the link it travels on proved the room key and the other side's identity; a pipe
 * whose handshake fails, or that carries a frame that does not open, drops the whole session ('untrusted').
 */
export class PeerSession extends Emitter<SessionEvents> {
  readonly remoteId: string
  transport: TransportDecision = 'pending'
  /** The other side's public key, once a handshake verified it. */
  remotePublicKey: Bytes | null = null
  readonly #options: SessionOptions
  readonly #timers: Timers
  readonly #now: () => number
  readonly #epoch = randomId()
  #remoteEpoch: string | null = null
  /** The epoch in the current pipe's hello, taken once its proof verifies. */
  #pendingEpoch = ''
  /** Messages sent over WebRTC: each long one's fragments carry its number (fragments.ts). */
  #sent = 0
  #link: PipeLink | null = null
  #releasePipe: (() => void)[] = []
  #rtc: RtcLink | null = null
  #dataChannel: DataChannelState = 'pending'
  /** This browser cannot make a WebRTC peer at all (not: one data channel failed). */
  #noWebrtc = false
  #startedAt = 0
  #timer: unknown = null

  constructor(options: SessionOptions) {
    super()
    this.remoteId = options.remoteId
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.attachPipe(options.pipe)
    if (options.refuse) {
      this.#dataChannel = 'failed'
      this.#sendInner({ k: 'full' })
    } else this.#startPeer()
  }

  get pipeState(): Channel['state'] {
    return this.#link?.pipe.state ?? 'closed'
  }

  /** Use a new pipe after the old one closed (e.g. the signal server restarted): a new handshake. */
  attachPipe(pipe: Channel): void {
    this.#detachPipe()
    const handshake = newHandshake(this.#options.trust, 'pipe', this.remoteId)
    const link: PipeLink = {
      pipe,
      handshake,
      frames: null,
      verified: false,
      outbox: [],
      inbox: Promise.resolve(),
      sending: Promise.resolve(),
    }
    this.#link = link
    this.#releasePipe = [
      pipe.on('message', (data) => {
        link.inbox = link.inbox
          .then(() => this.#onPipeFrame(link, data))
          .catch(() => this.#untrusted('malformed'))
      }),
      pipe.on('close', () => this.#onPipeClose(pipe)),
      pipe.on('open', () => this.#update()),
    ]
    this.#sendPlain({ k: 'hello', epoch: this.#epoch, ...helloFields(handshake.hello) })
    // Only a browser without WebRTC says so: a data channel that merely failed is negotiated again when
    // the other side turns out to be a new incarnation (#onRemoteEpoch), and its peer must stay ready for that.
    if (this.#noWebrtc && !this.#options.refuse) this.#sendInner({ k: 'no-webrtc' })
  }

  /** Send a room-protocol message on the current transport; false when there is none. */
  send(data: string): boolean {
    const peer = this.#rtc?.peer
    if (this.transport === 'webrtc' && peer) {
      try {
        // A data-channel message is at most 256 KiB in Chromium: longer ones go in fragments (fragments.ts).
        for (const part of fragment(data, ++this.#sent)) peer.send(part)
        return true
      } catch {
        this.#onPeerGone(peer)
      }
    }
    if (this.transport === 'relay' && this.#link?.verified && this.#link.pipe.state === 'open') {
      this.#sendInner({ k: 'room', m: data })
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
      this.#noWebrtc = true
      this.#dataChannel = 'failed'
      this.#sendInner({ k: 'no-webrtc' })
      this.#update()
      return
    }
    const rtc: RtcLink = {
      peer,
      handshake: newHandshake(this.#options.trust, 'webrtc', this.remoteId),
      localFingerprint: null,
      remoteFingerprint: null,
      proofSent: false,
      verified: false,
      inbox: Promise.resolve(),
    }
    this.#rtc = rtc
    this.#sendInner({ k: 'rtc-hello', ...helloFields(rtc.handshake.hello) })
    peer.on('signal', (data) => {
      if (this.#rtc !== rtc) return
      rtc.localFingerprint ??= sdpFingerprint(data)
      this.#sendInner({ k: 'signal', data })
    })
    peer.on('connect', () => {
      if (this.#rtc === rtc) this.#sendRtcProof(rtc).catch(() => this.#rtcFailed(rtc, 'malformed'))
    })
    const reassembler = new Reassembler()
    peer.on('data', (data) => {
      if (this.#rtc !== rtc) return
      const message = reassembler.push(typeof data === 'string' ? data : decoder.decode(data))
      if (message === null) return
      rtc.inbox = rtc.inbox
        .then(() => this.#onRtcMessage(rtc, message))
        .catch(() => this.#rtcFailed(rtc, 'malformed'))
    })
    peer.on('close', () => this.#onPeerGone(peer))
    peer.on('error', () => this.#onPeerGone(peer))
  }

  /** The data channel is open: prove ourselves on it, binding both DTLS fingerprints. */
  async #sendRtcProof(rtc: RtcLink): Promise<void> {
    const fingerprints = this.#fingerprints(rtc)
    const proof = fingerprints ? await rtc.handshake.proof(fingerprints) : 'out-of-order'
    if (this.#rtc !== rtc) return
    if (typeof proof === 'string') return this.#rtcFailed(rtc, proof)
    try {
      rtc.peer.send(JSON.stringify({ k: 'rtc-proof', ...proofFields(proof) }))
    } catch {
      return this.#onPeerGone(rtc.peer)
    }
    rtc.proofSent = true
    this.#rtcProgress(rtc)
  }

  /** The first message on the data channel is the other side's proof; room messages only after it. */
  async #onRtcMessage(rtc: RtcLink, message: string): Promise<void> {
    if (this.#rtc !== rtc) return
    if (rtc.verified) return void this.emit('message', message)
    const parsed = parseJson(RtcProof, message)
    const fingerprints = this.#fingerprints(rtc)
    const verified =
      parsed.ok && fingerprints
        ? await rtc.handshake.verify(toProof(parsed.value), fingerprints)
        : 'malformed'
    if (this.#rtc !== rtc) return
    if (typeof verified === 'string') return this.#rtcFailed(rtc, verified)
    rtc.verified = true
    this.#rtcProgress(rtc)
  }

  #fingerprints(rtc: RtcLink): { local: string; remote: string } | null {
    const { localFingerprint: local, remoteFingerprint: remote } = rtc
    return local && remote ? { local, remote } : null
  }

  #rtcProgress(rtc: RtcLink): void {
    if (!rtc.proofSent || !rtc.verified || this.#rtc !== rtc) return
    this.#dataChannel = 'open'
    this.#update()
  }

  /**
   * The data channel did not prove the room key with these fingerprints. The pipe (verified) still is the
   * member's, so the room falls back to it; the data channel is never used.
   */
  #rtcFailed(rtc: RtcLink, reason: TrustFailure): void {
    if (this.#rtc !== rtc) return
    console.warn(`mesh: data channel to ${this.remoteId} refused: ${reason}`)
    this.#onPeerGone(rtc.peer)
  }

  #stopPeer(): void {
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer)
    this.#timer = null
    const peer = this.#rtc?.peer
    this.#rtc = null
    try {
      peer?.destroy()
    } catch {
      // a peer that fails to tear down is gone either way
    }
  }

  #onPeerGone(peer: PeerLike): void {
    if (this.#rtc?.peer !== peer) return
    this.#stopPeer()
    this.#dataChannel = 'failed'
    this.#update()
  }

  async #onPipeFrame(link: PipeLink, data: string): Promise<void> {
    if (this.#link !== link) return
    const parsed = parseJson(PipeFrame, data)
    if (!parsed.ok) return this.#untrusted('malformed')
    const frame = parsed.value
    switch (frame.k) {
      case 'hello': {
        const failure = await link.handshake.acceptHello(toHello(frame))
        if (failure) return this.#untrusted(failure)
        const proof = await link.handshake.proof()
        if (typeof proof === 'string') return this.#untrusted(proof)
        if (this.#link !== link) return
        this.#sendPlain({ k: 'proof', ...proofFields(proof) })
        link.frames = new SecureFrames(
          this.#options.trust.crypto.derive,
          await transcriptOf(link.handshake),
          this.#options.localId,
          this.remoteId,
        )
        if (this.#link !== link) return
        this.#pendingEpoch = frame.epoch
        for (const inner of link.outbox.splice(0)) this.#sendInner(inner)
        return
      }
      case 'proof': {
        const verified = await link.handshake.verify(toProof(frame))
        if (typeof verified === 'string') return this.#untrusted(verified)
        if (this.#link !== link) return
        link.verified = true
        this.remotePublicKey = verified.remotePublicKey
        this.#onRemoteEpoch(this.#pendingEpoch)
        this.#update()
        return
      }
      case 'sealed': {
        if (!link.frames || !link.verified) return this.#untrusted('bad-frame')
        const text = await link.frames.open(frame.c)
        if (this.#link !== link) return
        if (text === null) return this.#untrusted('bad-frame')
        const inner = parseJson(InnerFrame, text)
        if (!inner.ok) return this.#untrusted('malformed')
        return this.#onInnerFrame(inner.value)
      }
      default:
        frame satisfies never
    }
  }

  async #onInnerFrame(frame: v.InferOutput<typeof InnerFrame>): Promise<void> {
    switch (frame.k) {
      case 'rtc-hello': {
        const rtc = this.#rtc
        if (!rtc || rtc.handshake.remoteHello) return
        const failure = await rtc.handshake.acceptHello(toHello(frame))
        if (failure && this.#rtc === rtc) this.#rtcFailed(rtc, failure)
        return
      }
      case 'signal': {
        const rtc = this.#rtc
        if (!rtc) return
        rtc.remoteFingerprint ??= sdpFingerprint(frame.data)
        try {
          rtc.peer.signal(frame.data)
        } catch {
          this.#onPeerGone(rtc.peer)
        }
        return
      }
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

  #onRemoteEpoch(epoch: string): void {
    if (this.#remoteEpoch !== null && this.#remoteEpoch !== epoch && !this.#options.refuse)
      this.#restartPeer()
    this.#remoteEpoch = epoch
  }

  /** The other side is a new incarnation (a reload): negotiate WebRTC from scratch. */
  #restartPeer(): void {
    this.#stopPeer()
    this.transport = 'pending'
    this.emit('transport', 'pending')
    this.#startPeer()
  }

  /** The other side failed its handshake or broke the sealed pipe: drop it, it never was a member. */
  #untrusted(reason: TrustFailure): void {
    if (this.transport === 'closed') return
    console.warn(`mesh: dropped the link to ${this.remoteId}: ${reason}`)
    this.destroy('untrusted')
  }

  #onPipeClose(pipe: Channel): void {
    if (this.#link?.pipe !== pipe) return
    this.#detachPipe()
    this.emit('pipe-closed')
    this.#update()
  }

  #detachPipe(close = false): void {
    for (const release of this.#releasePipe.splice(0)) release()
    if (close) this.#link?.pipe.close()
    this.#link = null
  }

  #sendPlain(frame: PipeFrame): void {
    this.#link?.pipe.send(JSON.stringify(frame))
  }

  /** Seal and send, in order; held until the handshake gave this pipe its keys. */
  #sendInner(frame: InnerFrame): void {
    const link = this.#link
    if (!link) return
    if (!link.frames) {
      link.outbox.push(frame)
      return
    }
    const sealed = link.frames.seal(JSON.stringify(frame))
    link.sending = link.sending
      .then(async () => {
        const c = await sealed
        if (this.#link === link) link.pipe.send(JSON.stringify({ k: 'sealed', c } satisfies PipeFrame))
      })
      .catch(() => this.#untrusted('bad-frame'))
  }

  /** The pipe as the transport decision sees it: open only once its handshake verified the other side. */
  #pipeDecisionState(): Channel['state'] {
    const link = this.#link
    if (!link || link.pipe.state === 'closed') return 'closed'
    return link.verified && link.pipe.state === 'open' ? 'open' : 'connecting'
  }

  #update(): void {
    if (this.transport === 'closed') return
    const decision = decideTransport({
      dataChannel: this.#dataChannel,
      pipe: this.#pipeDecisionState(),
      waitedMs: this.#now() - this.#startedAt,
    })
    if (decision === this.transport) return
    if (decision === 'closed') return this.destroy('disconnected')
    this.transport = decision
    this.emit('transport', decision)
  }
}

async function transcriptOf(handshake: Handshake): Promise<Bytes> {
  const hash = await handshake.transcriptHash()
  if (!hash) throw new Error('the transcript needs both hellos')
  return hash
}

const decoder = new TextDecoder()
