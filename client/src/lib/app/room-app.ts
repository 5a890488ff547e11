/**
 * One room, composed: the signaling client, the peer mesh, the room, streaming and playback, and the room's
 * `<video>` once it arrives. This is the one place that builds them and the one `destroy()` that releases them
 * all. Its transports are injected (`RoomDeps`), so a unit test builds a whole room from fakes.
 */
import { CALL_FEATURE, CallStore, type Devices } from '../call/call.svelte.ts'
import type { ConnectionFactory } from '../call/links.ts'
import { signChat } from '../room/chat-signing.ts'
import { signStatement } from '../room/authority-signing.ts'
import { deriveRoomKeys, type RoomKeys } from '../room/keys.ts'
import type { CodeSignaling } from '../invite/answerer.ts'
import { Mesh } from '../mesh/mesh.ts'
import type { PeerFactory } from '../mesh/peer.ts'
import { SocketChannel } from '../mesh/channel.ts'
import { handshakeCrypto } from '../mesh/handshake.ts'
import type { Signer } from '../mesh/signing.ts'
import { LocalMedia, type VolumeStorage } from '../player/local-media.svelte.ts'
import { bindMediaSession, type MediaSessionLike } from '../player/media-session.ts'
import { Video } from '../player/video.ts'
import { Room, type RoomOptions } from '../room/room.svelte.ts'
import { SignalingClient } from '../signaling/client.ts'
import type { SocketFactory } from '../signaling/socket.ts'
import { StreamingStore, type StreamClient } from '../stream/streaming.svelte.ts'
import { PlaybackStore } from '../sync/playback.svelte.ts'
import type { TestHooks } from '../testing/hooks.ts'
import { realTimers, type Timers } from '../timers.ts'
import type { TorrentPeer } from '../torrent/links.ts'
import { PLAYLIST_FEATURE } from '../playlist/store.svelte.ts'
import { PLAYBACK_FEATURE } from '../sync/feature.ts'
import { TORRENT_FEATURE } from '../torrent/feature.ts'
import { REACTION_FEATURE } from '../room/reactions.ts'
import { ReactionStore } from '../room/reactions.svelte.ts'

/** The features this app plugs into its room: the only feature names it accepts from members. */
const ROOM_FEATURES = [PLAYLIST_FEATURE, PLAYBACK_FEATURE, TORRENT_FEATURE, REACTION_FEATURE, CALL_FEATURE]

/** The film's volume while someone in the call speaks (when ducking is on), as a share of its own. */
export const DUCK_FACTOR = 0.3

export interface RoomDeps {
  /** Who this tab is and what it remembers of the room (app/connect.ts reads them from storage). */
  room: Omit<RoomOptions, 'transport' | 'signaling' | 'signer' | 'timers' | 'now'>
  /** This tab's identity (its peer id is `room.selfId`) and the room key (room/keys.ts). */
  signer: Signer
  roomKey: CryptoKey
  token: string
  /** ws(s)://host[:port] of the signal server */
  signalUrl: string
  socket: SocketFactory
  /** WebRTC connections to members (the mesh) and, per torrent, to members who share it. */
  createPeer: PeerFactory
  torrentClient: StreamClient
  /** `worker`: this browser plays every file through the service worker (torrent/config.ts). */
  streamVia?: 'auto' | 'worker'
  /** Whether a large dropped file is shared before it is hashed (the `theatron:share-early` setting). */
  shareEarly?: boolean
  /** Voice and video connections to members (call/connection.ts); without one, this tab has no call. */
  createCallConnection?: ConnectionFactory<MediaStreamTrack>
  /** The microphone and camera (navigator.mediaDevices); null where the browser has none. */
  devices?: Devices | null
  /** The trackers this browser's torrent client uses (torrent/config.ts). */
  trackers?: readonly string[]
  timers?: Timers
  /** The wall clock (members' join times, link liveness). */
  now?: () => number
  /** The app clock playback sync runs on (default: the wall clock with the testing skew). */
  appNow?: () => number
  /** The e2e build's test hooks (testing/hooks.ts); the shipped build has none. */
  hooks?: TestHooks
  /** This tab is a remote control: no video, nothing downloaded (room/link.ts `#/r2/<secret>/remote`). */
  remote?: boolean
  /** Where this person's volume is remembered (default: localStorage, when there is one). */
  storage?: VolumeStorage | null
  /** The room moved to a new link (the host rotated it): remember it, show it (app/connect.ts). */
  onMoved?: (secret: string, documentId: string) => void
  /** The browser's media controls (default: `navigator.mediaSession`, where there is one); null: none. */
  mediaSession?: MediaSessionLike | null
}

/** How long the old document's links stay open after a rotation, so the new link reaches every member. */
export const ROTATE_LINGER_MS = 2000

export class RoomApp {
  readonly room: Room
  readonly streaming: StreamingStore
  readonly playback: PlaybackStore
  /** This person's own side of the video: buffered ranges, volume, subtitles (the player controls). */
  readonly media: LocalMedia
  /** On-screen reactions, stamped with this tab's media time. */
  readonly reactions: ReactionStore
  /** Voice and video chat (call/call.svelte.ts); a remote control has none, so nobody calls it. */
  readonly call: CallStore | null
  readonly #signaling: SignalingClient
  #mesh: Mesh
  readonly #deps: RoomDeps
  readonly #lingering = new Set<{ mesh: Mesh; timer: unknown }>()
  readonly #hooks: TestHooks | undefined
  #releaseHooks: () => void = () => {}
  #releaseVideo: (() => void) | null = null
  #video: Video | null = null
  #element: HTMLVideoElement | null = null
  /** The film's volume before ducking lowered it; null while not ducked. */
  #duckedFrom: number | null = null
  #destroyed = false

  constructor(deps: RoomDeps) {
    const { timers, now, hooks } = deps
    const peerId = deps.room.selfId
    this.#deps = deps
    this.#hooks = hooks
    this.#signaling = new SignalingClient({
      baseUrl: deps.signalUrl,
      peerId,
      token: deps.token,
      socket: deps.socket,
      timers,
    })
    const signaling = this.#signaling
    signaling.on('error', (code, message) => console.warn(`signal server: ${code} ${message}`))
    this.#mesh = this.#meshFor({ documentId: deps.room.documentId, roomKey: deps.roomKey })
    this.room = new Room({
      ...deps.room,
      features: ROOM_FEATURES,
      transport: this.#mesh,
      signaling,
      signer: deps.signer,
      timers,
      now,
      onRotate: (secret) => void this.#move(secret),
    })
    this.room.start()
    this.streaming = new StreamingStore({
      room: this.room,
      client: deps.torrentClient,
      // A mesh peer is a full simple-peer instance, which is what WebTorrent takes as a peer.
      createPeer: (initiator): TorrentPeer => deps.createPeer({ initiator }),
      timers,
      ...(deps.trackers ? { trackers: deps.trackers } : {}),
      remote: deps.remote ?? false,
      ...(deps.streamVia ? { streamVia: deps.streamVia } : {}),
      shareEarly: deps.shareEarly ?? false,
    })
    this.playback = new PlaybackStore({
      room: this.room,
      source: this.streaming,
      timers,
      now: deps.appNow,
      remote: deps.remote ?? false,
      keyframeAtOrAfter: (seconds) => this.#video?.keyframeAtOrAfter(seconds) ?? null,
      ...(hooks ? { trace: hooks.syncTrace } : {}),
    })
    this.media = new LocalMedia(deps.storage === undefined ? defaultStorage() : deps.storage)
    this.reactions = new ReactionStore({
      room: this.room,
      mediaTime: () => this.#video?.currentTime ?? null,
      ...(timers ? { timers } : {}),
      ...(now ? { now } : {}),
    })
    this.call = deps.remote
      ? null
      : new CallStore({
          room: this.room,
          members: () => this.room.memberList,
          createConnection:
            deps.createCallConnection ??
            (() => {
              throw new Error('this app has no call connections')
            }),
          devices: deps.devices ?? null,
          storage: deps.storage === undefined ? defaultStorage() : deps.storage,
          timers,
          onScreen: (sharing) => this.#onScreen(sharing),
          watching: () => this.playback.playing && !this.playback.live,
        })
    if (hooks)
      this.#releaseHooks = hooks.install(this, {
        sendRaw: (text) => this.#mesh.broadcast(text),
        signChat: (line) =>
          signChat(deps.signer, {
            ...line,
            documentId: this.room.documentId,
            id: `${peerId}:${line.id}`,
            from: peerId,
          }),
        signStatement: async (body) => (await signStatement(deps.signer, body)).signed,
      })
  }

  /** The room's signal-server registration, which join codes wait on as well (components/RoomCode.svelte). */
  get signaling(): CodeSignaling {
    return this.#signaling
  }

  /** Mutes or unmutes this person's sound; false when there is no video. */
  toggleMute(): boolean {
    return this.#video?.toggleMuted() ?? false
  }

  /**
   * Lower the film's sound while someone in the call speaks (`ducked`), and bring it back after. The element's
   * volume is set directly: the player's remembered volume and mute stay this person's own.
   */
  duckFilm(ducked: boolean): void {
    const element = this.#element
    if (!element) return
    if (ducked && this.#duckedFrom === null) {
      this.#duckedFrom = element.volume
      element.volume = element.volume * DUCK_FACTOR
    } else if (!ducked && this.#duckedFrom !== null) {
      element.volume = this.#duckedFrom
      this.#duckedFrom = null
    }
  }

  /**
   * This person's shared screen becomes the room's current item (a screen item, playlist/playlist.ts) and
   * leaves the playlist when they stop. Under the host's lock it cannot go on the stage, so it is not shared.
   */
  #onScreen(sharing: boolean): void {
    const playlist = this.streaming.playlist
    if (!sharing) return playlist.endScreen()
    if (playlist.shareScreen(`${this.room.name}'s screen`) !== null) return
    this.call?.stopScreen()
    this.streaming.notice = {
      kind: 'info',
      text: 'The host has locked the controls: only the host can put a screen on the stage.',
    }
  }

  /** The peer mesh of one document, its links proving that document's room key. */
  #meshFor(keys: RoomKeys): Mesh {
    const deps = this.#deps
    const signaling = this.#signaling
    const { documentId, roomKey } = keys
    return new Mesh({
      localId: deps.room.selfId,
      documentId,
      introductions: signaling,
      openPipe: (remoteId) =>
        new SocketChannel(deps.socket(signaling.pipeUrl(remoteId, documentId), signaling.protocols)),
      createPeer: deps.createPeer,
      trust: {
        localId: deps.room.selfId,
        publicKey: deps.signer.publicKey,
        crypto: handshakeCrypto(roomKey, deps.signer),
      },
      timers: deps.timers,
      now: deps.now,
      rejoin: () => signaling.join(documentId),
    })
  }

  /**
   * The host rotated the link: derive the new document and key, move the room onto a new mesh there, and
   * leave the old document. Its links linger a moment so the new link reaches the others first.
   */
  async #move(secret: string): Promise<void> {
    const keys = await deriveRoomKeys(secret)
    if (this.#destroyed || keys.documentId === this.room.documentId) return
    const old = this.#mesh
    const oldDocument = this.room.documentId
    this.#mesh = this.#meshFor(keys)
    this.room.moveTo(keys.documentId, this.#mesh)
    const timers = this.#deps.timers ?? realTimers
    const lingering = {
      mesh: old,
      timer: timers.setTimeout(() => {
        this.#lingering.delete(lingering)
        old.destroy()
        this.#signaling.leave(oldDocument)
      }, ROTATE_LINGER_MS),
    }
    this.#lingering.add(lingering)
    this.#deps.onMoved?.(secret, keys.documentId)
  }

  /** A remote control: no video, nothing downloaded. */
  get remote(): boolean {
    return this.#deps.remote ?? false
  }

  /** The room's `<video>` arrived: streaming feeds it, playback drives it. Returns its removal. */
  attachVideo(element: HTMLVideoElement): () => void {
    this.#releaseVideo?.()
    if (this.#destroyed || this.remote) return () => {}
    const video = new Video(element)
    this.#video = video
    this.#element = element
    this.#duckedFrom = null
    this.streaming.attachVideo(video)
    this.playback.attachPlayer(this.#hooks?.player(video) ?? video)
    this.media.attach(video)
    const unbindMediaKeys = bindMediaSession(
      this.#deps.mediaSession === undefined ? globalThis.navigator?.mediaSession : this.#deps.mediaSession,
      this.playback,
    )
    const release = () => {
      if (this.#releaseVideo !== release) return
      this.#releaseVideo = null
      unbindMediaKeys()
      this.#video = null
      this.#element = null
      this.media.attach(null)
      this.playback.attachPlayer(null)
      this.streaming.detachVideo(video)
      video.destroy()
    }
    this.#releaseVideo = release
    return release
  }

  /** Releases everything: the video's listeners and source, stores, features, peers, sockets, timers. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#releaseHooks()
    this.reactions.destroy()
    this.call?.destroy()
    this.playback.destroy()
    this.streaming.destroy()
    this.#releaseVideo?.()
    this.room.destroy()
    const timers = this.#deps.timers ?? realTimers
    for (const { mesh, timer } of this.#lingering) {
      timers.clearTimeout(timer)
      mesh.destroy()
    }
    this.#lingering.clear()
    this.#mesh.destroy()
    this.#signaling.destroy()
  }
}

/** The browser's localStorage, or null where there is none or it is refused. */
function defaultStorage(): VolumeStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}
