/**
 * The real call connection: an RTCPeerConnection with exactly one audio and one video transceiver, both
 * ways, negotiated once. The offerer adds them; the answerer finds them in the offer and refuses an offer
 * with any other media (a member cannot make us receive more than one sound and one picture). Tracks are
 * swapped with `replaceTrack`, which needs no renegotiation.
 */
import type { CallConnection, ConnectionEvents } from './links.ts'
import type { CandidateInit } from './wire.ts'

/** Candidates that arrive before the remote description: at most this many wait. */
const MAX_PENDING_CANDIDATES = 64

export interface RemoteTracks {
  audio: MediaStreamTrack
  video: MediaStreamTrack
}

export class RtcCallConnection implements CallConnection<MediaStreamTrack> {
  readonly #pc: RTCPeerConnection
  readonly #events: ConnectionEvents
  #audio: RTCRtpTransceiver | null = null
  #video: RTCRtpTransceiver | null = null
  #tracks: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null } = { audio: null, video: null }
  #maxBitrate: number | null = null
  #pending: CandidateInit[] = []
  #closed = false
  #reported = false

  constructor(config: RTCConfiguration, initiator: boolean, events: ConnectionEvents) {
    this.#pc = new RTCPeerConnection(config)
    this.#events = events
    if (initiator) {
      this.#audio = this.#pc.addTransceiver('audio', { direction: 'sendrecv' })
      this.#video = this.#pc.addTransceiver('video', { direction: 'sendrecv' })
    }
    this.#pc.onicecandidate = ({ candidate }) => {
      if (candidate && !this.#closed) {
        const { candidate: line, sdpMid, sdpMLineIndex } = candidate.toJSON()
        events.candidate({
          candidate: line ?? '',
          sdpMid: sdpMid ?? null,
          sdpMLineIndex: sdpMLineIndex ?? null,
        })
      }
    }
    this.#pc.onconnectionstatechange = () => {
      const state = this.#pc.connectionState
      if (state === 'connected') this.#report('connected')
      else if (state === 'failed' || state === 'closed') this.#report('failed')
    }
  }

  /** What the member sends: one audio and one video track (silent and still while theirs are off). */
  get remote(): RemoteTracks | null {
    if (!this.#audio || !this.#video) return null
    return { audio: this.#audio.receiver.track, video: this.#video.receiver.track }
  }

  async createOffer(): Promise<string> {
    const offer = await this.#pc.createOffer()
    await this.#pc.setLocalDescription(offer)
    await this.#applyTracks()
    return this.#pc.localDescription?.sdp ?? offer.sdp ?? ''
  }

  async acceptOffer(sdp: string): Promise<string> {
    await this.#pc.setRemoteDescription({ type: 'offer', sdp })
    const transceivers = this.#pc.getTransceivers()
    const audio = transceivers.filter((t) => t.receiver.track.kind === 'audio')
    const video = transceivers.filter((t) => t.receiver.track.kind === 'video')
    if (audio.length !== 1 || video.length !== 1 || transceivers.length !== 2)
      throw new Error(`the offer has ${audio.length} audio and ${video.length} video sections, not 1 and 1`)
    this.#audio = audio[0]!
    this.#video = video[0]!
    this.#audio.direction = 'sendrecv'
    this.#video.direction = 'sendrecv'
    const answer = await this.#pc.createAnswer()
    await this.#pc.setLocalDescription(answer)
    this.#flushCandidates()
    await this.#applyTracks()
    return this.#pc.localDescription?.sdp ?? answer.sdp ?? ''
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.#pc.setRemoteDescription({ type: 'answer', sdp })
    this.#flushCandidates()
  }

  addCandidate(candidate: CandidateInit): void {
    if (this.#closed) return
    if (!this.#pc.remoteDescription) {
      if (this.#pending.length < MAX_PENDING_CANDIDATES) this.#pending.push(candidate)
      return
    }
    this.#pc.addIceCandidate(candidate).catch(() => {
      // A candidate this browser cannot use (e.g. an mDNS name it cannot resolve) is only one path fewer.
    })
  }

  setTracks(audio: MediaStreamTrack | null, video: MediaStreamTrack | null): void {
    this.#tracks = { audio, video }
    void this.#applyTracks()
  }

  setMaxBitrate(bitsPerSecond: number): void {
    this.#maxBitrate = bitsPerSecond
    void this.#applyBitrate()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#pc.onicecandidate = null
    this.#pc.onconnectionstatechange = null
    this.#pc.close()
  }

  #flushCandidates(): void {
    for (const candidate of this.#pending.splice(0)) this.addCandidate(candidate)
  }

  async #applyTracks(): Promise<void> {
    if (this.#closed || !this.#audio || !this.#video) return
    const { audio, video } = this.#tracks
    try {
      if (this.#audio.sender.track !== audio) await this.#audio.sender.replaceTrack(audio)
      if (this.#video.sender.track !== video) await this.#video.sender.replaceTrack(video)
      await this.#applyBitrate()
    } catch (error) {
      if (!this.#closed) console.warn(`call: could not send a track: ${String(error)}`)
    }
  }

  async #applyBitrate(): Promise<void> {
    const sender = this.#video?.sender
    if (this.#closed || !sender || this.#maxBitrate === null) return
    const parameters = sender.getParameters()
    const [encoding] = parameters.encodings ?? []
    // Before negotiation there are no encodings yet; the bitrate applies after it (`#applyTracks`).
    if (!encoding || encoding.maxBitrate === this.#maxBitrate) return
    encoding.maxBitrate = this.#maxBitrate
    try {
      await sender.setParameters(parameters)
    } catch (error) {
      if (!this.#closed) console.warn(`call: could not set the video bitrate: ${String(error)}`)
    }
  }

  #report(state: 'connected' | 'failed'): void {
    if (this.#closed) return
    if (state === 'connected') {
      if (this.#reported) return
      this.#reported = true
    }
    this.#events.state(state)
  }
}
