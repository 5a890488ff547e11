/**
 * The call connections: one dedicated WebRTC connection per member we exchange sound or pictures with, not
 * the room's data channel (docs/voice.md says why). It exists while either side has its microphone or camera
 * on and the room reaches the member directly; the lower peer id offers (no glare); signals travel over the
 * room's `call` feature, addressed to the one member.
 *
 * Each connection is negotiated once, with one audio and two video transceivers (camera, screen) in both
 * directions; turning a device on or off replaces the sender's track. What a member may make us do is bounded: one offer and one
 * answer per connection, MAX_CANDIDATES candidates, and MAX_RESTARTS new connections per RESTART_WINDOW_MS
 * (offered or answered; a member flipping its devices on and off waits its turn).
 * Anything beyond is dropped with a warning; the room and its other members are not affected.
 */
import { retryDelayMs } from '../backoff.ts'
import { isInitiator } from '../mesh/peer.ts'
import { randomId } from '../random.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { VideoEncoding } from './quality.ts'
import type { LinkState } from './tiles.ts'
import { MEDIA_OFF, type CallMessage, type CandidateInit, type MediaState } from './wire.ts'

export const MAX_CANDIDATES = 64
export const MAX_RESTARTS = 6
export const RESTART_WINDOW_MS = 60_000
export { RETRY_MIN_MS } from '../backoff.ts'
/** A connection not up after this long is given up (and retried by its initiator). */
export const CONNECT_TIMEOUT_MS = 10_000

export type ConnectionState = 'connected' | 'failed'

export interface ConnectionEvents {
  candidate(candidate: CandidateInit): void
  state(state: ConnectionState): void
}

/** One call connection (connection.ts makes the real one; tests use fakes). */
export interface CallConnection<Track> {
  createOffer(): Promise<string>
  /** Takes the offer and returns the answer. */
  acceptOffer(sdp: string): Promise<string>
  acceptAnswer(sdp: string): Promise<void>
  addCandidate(candidate: CandidateInit): void
  /** What this side sends (null: nothing), without renegotiation. */
  setTracks(tracks: LocalTracks<Track>): void
  /** How the camera is encoded (bitrate, frame rate, scale), without renegotiation. */
  setEncoding(encoding: VideoEncoding): void
  close(): void
}

/** What this tab sends: its microphone, camera and shared screen (null: off). */
export interface LocalTracks<Track> {
  audio: Track | null
  video: Track | null
  screen: Track | null
}

export type ConnectionFactory<Track> = (initiator: boolean, events: ConnectionEvents) => CallConnection<Track>

export interface CallLinksOptions<Track> {
  selfId: string
  createConnection: ConnectionFactory<Track>
  send(peerId: string, message: CallMessage): void
  /** A member's link state changed (the tiles follow it). */
  changed(peerId: string, state: LinkState): void
  timers?: Timers
  now?: () => number
}

interface Live<Track> {
  peerId: string
  link: string
  initiator: boolean
  connection: CallConnection<Track>
  state: LinkState
  /** The offer (answerer) or answer (initiator) was taken: any further one is a renegotiation, refused. */
  described: boolean
  candidates: number
  timeout: unknown
}

export class CallLinks<Track> {
  readonly #options: CallLinksOptions<Track>
  readonly #timers: Timers
  readonly #now: () => number
  #mine: MediaState = MEDIA_OFF
  #tracks: LocalTracks<Track> = { audio: null, video: null, screen: null }
  #encoding: VideoEncoding | null = null
  readonly #theirs = new Map<string, MediaState>()
  readonly #transports = new Map<string, string>()
  readonly #live = new Map<string, Live<Track>>()
  /** Failed links' retries: attempts so far and the back-off timer (null once it fired). */
  readonly #retries = new Map<string, { attempt: number; timer: unknown }>()
  /** When we last started a connection with each member (either side), for MAX_RESTARTS. */
  readonly #starts = new Map<string, number[]>()
  /** False once making a connection threw: this browser has no WebRTC. */
  #webrtc = true
  #destroyed = false

  constructor(options: CallLinksOptions<Track>) {
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
  }

  /** What this tab sends: its flags (who needs a connection) and its tracks (what every connection sends). */
  setLocal(state: MediaState, tracks: LocalTracks<Track>): void {
    this.#mine = state
    this.#tracks = tracks
    for (const live of this.#live.values()) live.connection.setTracks(tracks)
    this.#reconcile()
  }

  setEncoding(encoding: VideoEncoding): void {
    this.#encoding = encoding
    for (const live of this.#live.values()) live.connection.setEncoding(encoding)
  }

  setRemote(peerId: string, state: MediaState): void {
    if (peerId === this.#options.selfId) return
    this.#theirs.set(peerId, state)
    this.#reconcile()
  }

  /** The room's transport to a member ('webrtc', 'relay', 'pending', …). */
  setTransport(peerId: string, transport: string): void {
    if (peerId === this.#options.selfId || this.#transports.get(peerId) === transport) return
    this.#transports.set(peerId, transport)
    this.#reconcile()
  }

  removeMember(peerId: string): void {
    this.#theirs.delete(peerId)
    this.#transports.delete(peerId)
    this.#starts.delete(peerId)
    this.#reconcile()
  }

  state(peerId: string): LinkState {
    return this.#live.get(peerId)?.state ?? 'none'
  }

  connection(peerId: string): CallConnection<Track> | null {
    return this.#live.get(peerId)?.connection ?? null
  }

  receive(from: string, message: CallMessage): void {
    if (this.#destroyed || message.t === 'state') return
    const live = this.#live.get(from)
    switch (message.t) {
      case 'offer':
        return this.#onOffer(from, live, message.link, message.sdp)
      case 'answer': {
        if (!live || live.link !== message.link || !live.initiator) return
        if (live.described) return console.warn(`call: dropped a second answer from ${from}`)
        live.described = true
        live.connection.acceptAnswer(message.sdp).catch((error: unknown) => this.#failed(live, error))
        return
      }
      case 'ice': {
        if (!live || live.link !== message.link) return
        if (++live.candidates > MAX_CANDIDATES) {
          if (live.candidates === MAX_CANDIDATES + 1)
            console.warn(`call: ${from} sent over ${MAX_CANDIDATES} candidates; the rest are dropped`)
          return
        }
        live.connection.addCandidate(message.candidate)
        return
      }
      default:
        message satisfies never
    }
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const { timer } of this.#retries.values()) if (timer !== null) this.#timers.clearTimeout(timer)
    this.#retries.clear()
    for (const live of [...this.#live.values()]) this.#close(live)
  }

  #wanted(peerId: string): boolean {
    const theirs = this.#theirs.get(peerId)
    const media = sends(this.#mine) || (theirs !== undefined && sends(theirs))
    return media && this.#transports.get(peerId) === 'webrtc'
  }

  #onOffer(from: string, live: Live<Track> | undefined, link: string, sdp: string): void {
    if (isInitiator(this.#options.selfId, from)) return // we offer to this member, never the other way
    if (live?.link === link) return console.warn(`call: dropped a renegotiation from ${from}`)
    const theirs = this.#theirs.get(from)
    if (!theirs) return
    // An offer proves the member sees a direct link; what matters here is that one of us has media on.
    if (!sends(this.#mine) && !sends(theirs)) return
    if (!this.#allowStart(from)) return console.warn(`call: ${from} restarts its connection too often`)
    if (live) this.#close(live)
    const opened = this.#open(from, false, link)
    if (!opened) return
    opened.described = true
    opened.connection
      .acceptOffer(sdp)
      .then((answer) => {
        if (this.#live.get(from) === opened) this.#options.send(from, { t: 'answer', link, sdp: answer })
      })
      .catch((error: unknown) => this.#failed(opened, error))
  }

  /** A sliding window of connection starts a member caused. */
  #allowStart(peerId: string): boolean {
    const now = this.#now()
    const starts = (this.#starts.get(peerId) ?? []).filter((at) => now - at < RESTART_WINDOW_MS)
    if (starts.length >= MAX_RESTARTS) return false
    starts.push(now)
    this.#starts.set(peerId, starts)
    return true
  }

  #reconcile(): void {
    if (this.#destroyed) return
    const peers = new Set([...this.#theirs.keys(), ...this.#live.keys(), ...this.#retries.keys()])
    for (const peerId of peers) {
      const wanted = this.#wanted(peerId)
      const live = this.#live.get(peerId)
      if (!wanted) {
        if (live) this.#close(live)
        const retry = this.#retries.get(peerId)
        if (retry?.timer != null) this.#timers.clearTimeout(retry.timer)
        this.#retries.delete(peerId)
        continue
      }
      if (live || !isInitiator(this.#options.selfId, peerId)) continue
      if ((this.#retries.get(peerId)?.timer ?? null) !== null) continue
      // A member flipping its state on and off must not make us build connections as fast as it flips.
      if (!this.#allowStart(peerId)) {
        console.warn(`call: ${peerId} turns its devices on and off too often; connecting later`)
        this.#retryLater(peerId, this.#retries.get(peerId)?.attempt ?? 0, RESTART_WINDOW_MS / MAX_RESTARTS)
        continue
      }
      const opened = this.#open(peerId, true, randomId())
      if (!opened) continue
      opened.connection
        .createOffer()
        .then((sdp) => {
          if (this.#live.get(peerId) === opened)
            this.#options.send(peerId, { t: 'offer', link: opened.link, sdp })
        })
        .catch((error: unknown) => this.#failed(opened, error))
    }
  }

  #open(peerId: string, initiator: boolean, link: string): Live<Track> | null {
    if (!this.#webrtc) return null
    // Assigned right below; the events only fire once the connection exists.
    let live: Live<Track> | null = null
    let connection: CallConnection<Track>
    try {
      connection = this.#options.createConnection(initiator, {
        candidate: (candidate) => {
          if (live && this.#live.get(peerId) === live)
            this.#options.send(peerId, { t: 'ice', link, candidate })
        },
        state: (state) => {
          if (live) this.#onState(live, state)
        },
      })
    } catch (error) {
      this.#webrtc = false
      console.warn(`call: no WebRTC, no voice or video: ${String(error)}`)
      return null
    }
    live = {
      peerId,
      link,
      initiator,
      connection,
      state: 'connecting',
      described: false,
      candidates: 0,
      timeout: null,
    }
    const opened = live
    opened.timeout = this.#timers.setTimeout(() => {
      opened.timeout = null
      if (opened.state === 'connecting') this.#onState(opened, 'failed')
    }, CONNECT_TIMEOUT_MS)
    this.#live.set(peerId, opened)
    connection.setTracks(this.#tracks)
    if (this.#encoding !== null) connection.setEncoding(this.#encoding)
    this.#options.changed(peerId, 'connecting')
    return opened
  }

  #onState(live: Live<Track>, state: ConnectionState): void {
    if (this.#live.get(live.peerId) !== live) return
    if (state === 'connected') {
      this.#clearTimeout(live)
      this.#retries.delete(live.peerId)
      live.state = 'connected'
      this.#options.changed(live.peerId, 'connected')
      return
    }
    this.#close(live, 'failed')
    if (!live.initiator || this.#destroyed) return
    const attempt = (this.#retries.get(live.peerId)?.attempt ?? 0) + 1
    this.#retryLater(live.peerId, attempt, retryDelayMs(attempt))
  }

  #retryLater(peerId: string, attempt: number, delay: number): void {
    const timer = this.#timers.setTimeout(() => {
      this.#retries.set(peerId, { attempt, timer: null })
      this.#reconcile()
    }, delay)
    this.#retries.set(peerId, { attempt, timer })
  }

  #failed(live: Live<Track>, error: unknown): void {
    if (this.#live.get(live.peerId) !== live) return
    console.warn(`call: the connection to ${live.peerId} failed: ${String(error)}`)
    this.#onState(live, 'failed')
  }

  #clearTimeout(live: Live<Track>): void {
    if (live.timeout !== null) this.#timers.clearTimeout(live.timeout)
    live.timeout = null
  }

  #close(live: Live<Track>, state: LinkState = 'none'): void {
    if (this.#live.get(live.peerId) !== live) return
    this.#clearTimeout(live)
    this.#live.delete(live.peerId)
    live.state = state
    try {
      live.connection.close()
    } catch {
      // a connection that fails to close is gone either way
    }
    this.#options.changed(live.peerId, state)
  }
}

function sends(state: MediaState): boolean {
  return state.mic || state.cam || state.screen
}
