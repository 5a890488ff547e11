/**
 * The real call connection: an RTCPeerConnection with exactly one audio and two video transceivers (camera,
 * then screen), both ways, negotiated once. The offerer adds them; the answerer finds them in the offer and
 * refuses an offer with any other media (a member cannot make us receive more than these three). Tracks are
 * swapped with `replaceTrack`, which needs no renegotiation.
 */
import type { CallConnection, ConnectionEvents, LocalTracks } from './links.ts'
import type { VideoEncoding } from './quality.ts'
import { receiverSample, screenLatency, type ReceiverSample } from './latency.ts'
import type { CandidateInit } from './wire.ts'
import { withOpusDtx } from './opus-dtx.ts'

/** Candidates that arrive before the remote description: at most this many wait. */
const MAX_PENDING_CANDIDATES = 64

export interface RemoteTracks {
  audio: MediaStreamTrack
  video: MediaStreamTrack
  screen: MediaStreamTrack
}

export class RtcCallConnection implements CallConnection<MediaStreamTrack> {
  readonly #pc: RTCPeerConnection
  readonly #events: ConnectionEvents
  #audio: RTCRtpTransceiver | null = null
  #video: RTCRtpTransceiver | null = null
  #screen: RTCRtpTransceiver | null = null
  #tracks: LocalTracks<MediaStreamTrack> = { audio: null, video: null, screen: null }
  #encoding: VideoEncoding | null = null
  #pending: CandidateInit[] = []
  /** The screen receiver's previous reading: the delay is measured over the frames since. */
  #lastScreenSample: ReceiverSample | null = null
  #closed = false
  #reported = false

  constructor(config: RTCConfiguration, initiator: boolean, events: ConnectionEvents) {
    this.#pc = new RTCPeerConnection(config)
    this.#events = events
    if (initiator) {
      this.#audio = this.#pc.addTransceiver('audio', { direction: 'sendrecv' })
      this.#video = this.#pc.addTransceiver('video', { direction: 'sendrecv' })
      this.#screen = this.#pc.addTransceiver('video', { direction: 'sendrecv' })
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

  /** What the member sends: sound, camera and screen (silent and still while theirs are off). */
  get remote(): RemoteTracks | null {
    if (!this.#audio || !this.#video || !this.#screen) return null
    return {
      audio: this.#audio.receiver.track,
      video: this.#video.receiver.track,
      screen: this.#screen.receiver.track,
    }
  }

  /** How far behind the member's screen this picture is (ms, call/latency.ts); null before there are figures. */
  async screenDelay(): Promise<number | null> {
    const receiver = this.#screen?.receiver
    if (!receiver || this.#closed) return null
    const report = await receiver.getStats()
    const sample = receiverSample(report.values() as Iterable<Record<string, unknown>>)
    if (!sample) return null
    const delay = screenLatency(this.#lastScreenSample, sample)
    this.#lastScreenSample = sample
    return delay
  }

  async createOffer(): Promise<string> {
    const offer = await this.#pc.createOffer()
    await this.#pc.setLocalDescription(offer)
    await this.#applyTracks()
    return this.#pc.localDescription?.sdp ?? offer.sdp ?? ''
  }

  async acceptOffer(sdp: string): Promise<string> {
    // Our voice goes out with DTX as the other side's description now asks (call/opus-dtx.ts).
    await this.#pc.setRemoteDescription({ type: 'offer', sdp: withOpusDtx(sdp) })
    const transceivers = this.#pc.getTransceivers()
    const audio = transceivers.filter((t) => t.receiver.track.kind === 'audio')
    const video = transceivers.filter((t) => t.receiver.track.kind === 'video')
    if (audio.length !== 1 || video.length !== 2 || transceivers.length !== 3)
      throw new Error(`the offer has ${audio.length} audio and ${video.length} video sections, not 1 and 2`)
    this.#audio = audio[0]!
    this.#video = video[0]!
    this.#screen = video[1]!
    for (const transceiver of transceivers) transceiver.direction = 'sendrecv'
    const answer = await this.#pc.createAnswer()
    await this.#pc.setLocalDescription(answer)
    this.#flushCandidates()
    await this.#applyTracks()
    return this.#pc.localDescription?.sdp ?? answer.sdp ?? ''
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: withOpusDtx(sdp) })
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

  setTracks(tracks: LocalTracks<MediaStreamTrack>): void {
    this.#tracks = tracks
    void this.#applyTracks()
  }

  setEncoding(encoding: VideoEncoding): void {
    this.#encoding = encoding
    void this.#applyEncoding()
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
    if (this.#closed || !this.#audio || !this.#video || !this.#screen) return
    const { audio, video, screen } = this.#tracks
    try {
      if (this.#audio.sender.track !== audio) await this.#audio.sender.replaceTrack(audio)
      if (this.#video.sender.track !== video) await this.#video.sender.replaceTrack(video)
      if (this.#screen.sender.track !== screen) await this.#screen.sender.replaceTrack(screen)
      await this.#applyEncoding()
    } catch (error) {
      if (!this.#closed) console.warn(`call: could not send a track: ${String(error)}`)
    }
  }

  async #applyEncoding(): Promise<void> {
    const sender = this.#video?.sender
    const wanted = this.#encoding
    if (this.#closed || !sender || wanted === null) return
    const parameters = sender.getParameters()
    const [encoding] = parameters.encodings ?? []
    // Before negotiation there are no encodings yet; the settings apply after it (`#applyTracks`).
    if (
      !encoding ||
      (encoding.maxBitrate === wanted.maxBitrate &&
        encoding.maxFramerate === wanted.maxFramerate &&
        encoding.scaleResolutionDownBy === wanted.scaleResolutionDownBy)
    )
      return
    encoding.maxBitrate = wanted.maxBitrate
    encoding.maxFramerate = wanted.maxFramerate
    encoding.scaleResolutionDownBy = wanted.scaleResolutionDownBy
    try {
      await sender.setParameters(parameters)
    } catch (error) {
      if (!this.#closed) console.warn(`call: could not set the video encoding: ${String(error)}`)
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
