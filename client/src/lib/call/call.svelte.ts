/**
 * The room's `call` feature for one tab: this person's microphone, camera and shared screen (off by default), the call
 * connections to the members they talk with (links.ts), and what the tiles show. Pure rules live beside it
 * (toggle.ts, quality.ts, speaking.ts, tiles.ts); this class only wires them to the browser's devices, the
 * connections and the room.
 */
import { untrack } from 'svelte'
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { RemoteTracks, RtcCallConnection } from './connection.ts'
import { LevelMeter } from './levels.ts'
import { CallLinks, type ConnectionFactory } from './links.ts'
import { cameraConstraints, videoEncoding, videoQuality, type VideoQuality } from './quality.ts'
import { callTiles, type LinkState, type Tile, type TileMember } from './tiles.ts'
import {
  deviceFailure,
  isOn,
  nextToggle,
  TOGGLE_OFF,
  toggleSentence,
  type DeviceFailure,
  type DeviceKind,
  type ToggleState,
} from './toggle.ts'
import { parseCallMessage, parseCallSnapshot, type MediaState } from './wire.ts'

export const CALL_FEATURE = 'call'
/** `localStorage['theatron:duck'] = '1'`: the film's sound is lowered while someone speaks. */
export const DUCK_KEY = 'theatron:duck'

/** Where the ducking setting is remembered (localStorage in the app). */
export interface CallStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** The browser's devices (navigator.mediaDevices in the app). */
export interface Devices {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>
  getDisplayMedia?(options: DisplayMediaStreamOptions): Promise<MediaStream>
}

export interface CallStoreOptions {
  room: FeatureHost
  /** Everyone in the room with the room's transport to them (self included, as 'self'). */
  members: () => readonly TileMember[]
  createConnection: ConnectionFactory<MediaStreamTrack>
  devices: Devices | null
  storage: CallStorage | null
  timers?: Timers
  /**
   * This person started (true) or stopped (false) sharing their screen: the room's playlist puts it on the
   * stage, or takes it off (app/room-app.ts).
   */
  onScreen?: (sharing: boolean) => void
  /** A film plays in the room now (the cameras then send a tile-sized, low-rate picture: quality.ts). */
  watching?: () => boolean
}

export class CallStore {
  mic = $state.raw<ToggleState>(TOGGLE_OFF)
  camera = $state.raw<ToggleState>(TOGGLE_OFF)
  screen = $state.raw<ToggleState>(TOGGLE_OFF)
  /** This person's shared screen, for their own view of it. */
  localScreen = $state.raw<MediaStream | null>(null)
  /** This person's camera, for their own preview. */
  localVideo = $state.raw<MediaStream | null>(null)
  selfSpeaking = $state(false)
  duck = $state(false)
  // Immutable values, replaced on change (`withEntry`, `withMember`): a reader reruns on each replacement.
  #states = $state.raw<ReadonlyMap<string, MediaState>>(emptyMap())
  #links = $state.raw<ReadonlyMap<string, LinkState>>(emptyMap())
  #speaking = $state.raw<ReadonlySet<string>>(emptySet())
  #muted = $state.raw<ReadonlySet<string>>(emptySet())

  readonly tiles: Tile[] = $derived.by(() =>
    callTiles({
      selfId: this.#selfId,
      members: this.#options.members(),
      states: this.#states,
      links: this.#links,
      speaking: this.#speaking,
      muted: this.#muted,
    }),
  )
  /** Someone we hear is speaking (the film ducks while so, when `duck` is on). */
  readonly othersSpeaking: boolean = $derived.by(() => this.tiles.some((tile) => tile.speaking))
  readonly sentences: string[] = $derived.by(() =>
    [
      toggleSentence('mic', this.mic),
      toggleSentence('camera', this.camera),
      toggleSentence('screen', this.screen),
    ].filter((sentence): sentence is string => sentence !== null),
  )

  readonly #options: CallStoreOptions
  readonly #selfId: string
  readonly #feature: FeatureHandle
  readonly #calls: CallLinks<MediaStreamTrack>
  readonly #meter: LevelMeter
  readonly #stopEffects: () => void
  #audioTrack: MediaStreamTrack | null = null
  #videoTrack: MediaStreamTrack | null = null
  #screenTrack: MediaStreamTrack | null = null
  /** What the camera captures (by the room's size). */
  #quality: VideoQuality | null = null
  #members = 0
  /** A film plays in the room: the cameras send less (quality.ts). */
  #watching = false
  /** The encoding last handed to the links, as a key. */
  #encoded = ''
  #announced = ''
  #destroyed = false

  constructor(options: CallStoreOptions) {
    this.#options = options
    this.#selfId = options.room.selfId
    const timers = options.timers ?? realTimers
    this.duck = options.storage?.getItem(DUCK_KEY) === '1'
    this.#calls = new CallLinks({
      selfId: this.#selfId,
      createConnection: options.createConnection,
      send: (peerId, message) => this.#feature.send(message, peerId),
      changed: (peerId, state) => (this.#links = withEntry(this.#links, peerId, state)),
      timers,
    })
    this.#meter = new LevelMeter((id, speaking) => {
      if (id === this.#selfId) this.selfSpeaking = speaking
      else this.#speaking = withMember(this.#speaking, id, speaking)
    }, timers)
    this.#feature = options.room.registerFeature(CALL_FEATURE, {
      snapshot: () => this.#state(),
      applySnapshot: (from, raw) => {
        const parsed = parseCallSnapshot(raw)
        if (!parsed.ok) return console.warn(`call: ignored a snapshot from ${from}: ${parsed.error.message}`)
        this.#setRemote(from, parsed.value)
      },
      onMessage: (from, raw) => {
        const parsed = parseCallMessage(raw)
        if (!parsed.ok) return console.warn(`call: ignored a message from ${from}: ${parsed.error.message}`)
        const message = parsed.value
        if (message.t === 'state')
          this.#setRemote(from, { mic: message.mic, cam: message.cam, screen: message.screen })
        else this.#calls.receive(from, message)
      },
      onMemberLeft: (peerId) => this.#forget(peerId),
    })
    this.#stopEffects = $effect.root(() => {
      $effect(() => {
        const members = this.#options.members()
        untrack(() => this.#followMembers(members))
      })
      $effect(() => {
        const watching = this.#options.watching?.() ?? false
        untrack(() => {
          this.#watching = watching
          this.#constrain()
          this.#encode()
        })
      })
    })
  }

  /** The member's sound and picture, while a connection carries them. */
  remoteTracks(peerId: string): RemoteTracks | null {
    const connection = this.#calls.connection(peerId) as RtcCallConnection | null
    return connection?.remote ?? null
  }

  /**
   * The picture of `owner`'s shared screen: this person's own while they share, a member's while they say they
   * share and their call connection is up; null otherwise.
   */
  screenOf(owner: string): MediaStreamTrack | null {
    if (owner === this.#selfId) return this.#screenTrack && this.localScreen ? this.#screenTrack : null
    if (!this.#states.get(owner)?.screen || this.#links.get(owner) !== 'connected') return null
    return this.remoteTracks(owner)?.screen ?? null
  }

  /** How far behind the sharer's screen its picture here is (ms, call/latency.ts); null when unknown. */
  screenDelay(peerId: string): Promise<number | null> {
    const connection = this.#calls.connection(peerId) as RtcCallConnection | null
    return connection?.screenDelay() ?? Promise.resolve(null)
  }

  /** Whether this browser can share a screen at all. */
  get canShareScreen(): boolean {
    return typeof this.#options.devices?.getDisplayMedia === 'function'
  }

  toggleScreen(): Promise<void> {
    return this.#toggle('screen')
  }

  /** Stops sharing the screen, if this person shares it. */
  stopScreen(): void {
    if (this.screen.s !== 'on') return
    void this.#toggle('screen')
  }

  toggleMic(): Promise<void> {
    return this.#toggle('mic')
  }

  toggleCamera(): Promise<void> {
    return this.#toggle('camera')
  }

  /** Mute or unmute a member here, for this person only. */
  toggleMute(peerId: string): void {
    this.#muted = withMember(this.#muted, peerId, !this.#muted.has(peerId))
  }

  setDuck(duck: boolean): void {
    this.duck = duck
    try {
      this.#options.storage?.setItem(DUCK_KEY, duck ? '1' : '0')
    } catch {
      // Storage full or refused: the setting applies, it is only not remembered.
    }
  }

  /** A tile's <audio> plays this member's sound; the meter listens to it for the speaking indicator. */
  watchLevel(peerId: string, track: MediaStreamTrack | null): void {
    if (!this.#destroyed) this.#meter.watch(peerId, track)
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#stopEffects()
    this.#feature.unregister()
    this.#calls.destroy()
    this.#meter.destroy()
    this.#stop('mic')
    this.#stop('camera')
    this.#stop('screen')
  }

  async #toggle(kind: DeviceKind): Promise<void> {
    const before = this.#toggleState(kind)
    const after = nextToggle(before, { e: 'press' })
    if (after === before) return
    this.#setToggle(kind, after)
    if (after.s !== 'asking') {
      this.#stop(kind)
      return this.#publish()
    }
    const devices = this.#options.devices
    if (!devices) return this.#fail(kind, globalThis.isSecureContext === false ? 'insecure' : 'unsupported')
    let stream: MediaStream
    try {
      stream = await this.#capture(kind, devices)
    } catch (error) {
      return this.#fail(kind, deviceFailure(error))
    }
    const track = (kind === 'mic' ? stream.getAudioTracks() : stream.getVideoTracks())[0]
    if (this.#destroyed || this.#toggleState(kind).s !== 'asking' || !track) {
      for (const t of stream.getTracks()) t.stop()
      if (!track) this.#fail(kind, 'missing')
      return
    }
    track.addEventListener('ended', () => this.#onEnded(kind, track))
    if (kind === 'mic') {
      this.#audioTrack = track
      this.#meter.watch(this.#selfId, track)
    } else if (kind === 'camera') {
      this.#videoTrack = track
      this.localVideo = new MediaStream([track])
      this.#encoded = ''
      this.#encode()
    } else {
      // A screen of text wants sharpness over smoothness when the encoder has to choose.
      track.contentHint = 'detail'
      this.#screenTrack = track
      this.localScreen = new MediaStream([track])
    }
    this.#setToggle(kind, nextToggle(this.#toggleState(kind), { e: 'granted' }))
    this.#publish()
    if (kind === 'screen') this.#options.onScreen?.(true)
  }

  #capture(kind: DeviceKind, devices: Devices): Promise<MediaStream> {
    if (kind === 'mic')
      return devices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      })
    if (kind === 'camera')
      return devices.getUserMedia({
        video: cameraConstraints(videoQuality(this.#options.members().length, this.#watching)),
      })
    if (!devices.getDisplayMedia) return Promise.reject(new TypeError('no getDisplayMedia'))
    return devices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false })
  }

  #fail(kind: DeviceKind, failure: DeviceFailure): void {
    this.#setToggle(kind, nextToggle(this.#toggleState(kind), { e: 'failed', failure }))
  }

  #onEnded(kind: DeviceKind, track: MediaStreamTrack): void {
    const current =
      kind === 'mic' ? this.#audioTrack : kind === 'camera' ? this.#videoTrack : this.#screenTrack
    if (track !== current) return
    this.#setToggle(kind, nextToggle(this.#toggleState(kind), { e: 'ended' }))
    this.#stop(kind)
    this.#publish()
  }

  #stop(kind: DeviceKind): void {
    if (kind === 'mic') {
      this.#audioTrack?.stop()
      this.#audioTrack = null
      this.#meter.watch(this.#selfId, null)
    } else if (kind === 'camera') {
      this.#videoTrack?.stop()
      this.#videoTrack = null
      this.localVideo = null
    } else {
      const shared = this.#screenTrack !== null
      this.#screenTrack?.stop()
      this.#screenTrack = null
      this.localScreen = null
      if (shared) this.#options.onScreen?.(false)
    }
  }

  #toggleState(kind: DeviceKind): ToggleState {
    return kind === 'mic' ? this.mic : kind === 'camera' ? this.camera : this.screen
  }

  #setToggle(kind: DeviceKind, state: ToggleState): void {
    if (kind === 'mic') this.mic = state
    else if (kind === 'camera') this.camera = state
    else this.screen = state
  }

  #state(): MediaState {
    return {
      mic: isOn(this.mic) && this.#audioTrack !== null,
      cam: isOn(this.camera) && this.#videoTrack !== null,
      screen: isOn(this.screen) && this.#screenTrack !== null,
    }
  }

  /** Tell the room what this tab sends (before any connection's signals), then send it on every link. */
  #publish(): void {
    if (this.#destroyed) return
    const state = this.#state()
    const announced = `${state.mic},${state.cam},${state.screen}`
    if (announced !== this.#announced) {
      this.#announced = announced
      this.#feature.send({ t: 'state', ...state })
    }
    this.#calls.setLocal(state, {
      audio: this.#audioTrack,
      video: this.#videoTrack,
      screen: this.#screenTrack,
    })
  }

  #setRemote(peerId: string, state: MediaState): void {
    if (peerId === this.#selfId) return
    this.#states = withEntry(this.#states, peerId, state)
    this.#calls.setRemote(peerId, state)
  }

  #forget(peerId: string): void {
    this.#calls.removeMember(peerId)
    this.#meter.watch(peerId, null)
    this.#states = withoutEntry(this.#states, peerId)
    this.#links = withoutEntry(this.#links, peerId)
    this.#muted = withMember(this.#muted, peerId, false)
  }

  /** The room's transports to members feed the links; the room's size sets the camera's quality. */
  #followMembers(members: readonly TileMember[]): void {
    for (const member of members)
      if (member.id !== this.#selfId) this.#calls.setTransport(member.id, member.transport)
    this.#members = members.length
    this.#constrain()
    this.#encode()
  }

  /**
   * What the camera captures follows what it sends (the room's size, a film playing: quality.ts), so no pixels
   * are captured, converted and shown in the own tile only to be scaled away by the encoder. The member list
   * changes on every pong: only a new quality changes the capture. Once the capture has its new size, the
   * encoding follows it.
   */
  #constrain(): void {
    const quality = videoQuality(this.#members, this.#watching)
    if (quality === this.#quality) return
    this.#quality = quality
    this.#videoTrack?.applyConstraints(cameraConstraints(quality)).then(
      () => this.#encode(),
      (error: unknown) => console.warn(`call: the camera kept its size: ${String(error)}`),
    )
  }

  /**
   * What the encoder sends of the camera, per link: the room's size and whether a film plays (quality.ts),
   * scaled down from what the camera captures while the capture has not yet followed (`#constrain`).
   */
  #encode(): void {
    const quality = videoQuality(this.#members, this.#watching)
    const captured = this.#videoTrack?.getSettings().width ?? this.#quality?.width ?? null
    const encoding = videoEncoding(quality, captured)
    const key = `${encoding.maxBitrate},${encoding.maxFramerate},${encoding.scaleResolutionDownBy}`
    if (key === this.#encoded) return
    this.#encoded = key
    this.#calls.setEncoding(encoding)
  }
}

function emptyMap<V>(): ReadonlyMap<string, V> {
  return new Map()
}

function emptySet(): ReadonlySet<string> {
  return new Set()
}

function withEntry<V>(map: ReadonlyMap<string, V>, key: string, value: V): ReadonlyMap<string, V> {
  if (map.get(key) === value) return map
  // A fresh copy for the reactive field: nothing renders the intermediate map.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  return new Map(map).set(key, value)
}

function withoutEntry<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  const copy = new Map(map)
  copy.delete(key)
  return copy
}

function withMember(set: ReadonlySet<string>, key: string, member: boolean): ReadonlySet<string> {
  if (set.has(key) === member) return set
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  const copy = new Set(set)
  if (member) copy.add(key)
  else copy.delete(key)
  return copy
}
