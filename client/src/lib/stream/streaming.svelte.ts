/**
 * Streaming in a room: one per room tab, destroyed with it. It owns the TorrentClient, the room's `torrent`
 * feature (torrent/feature.ts: the `have` announcement, the dedicated torrent connections to other members,
 * shared metadata), the playlist store, and what the player shows (media/now-playing.ts).
 *
 * - Local files are seeded from this browser and their magnet is added to the playlist. A single WebM or MP4 is
 *   added at once, as a `local` item the others stream from this tab (torrent/range-source.ts) while it is
 *   hashed; its torrent follows (`ready`) and their players read on through it without a restart.
 * - The selected item is added to the client and streamed into the `<video>` (largest playable file, or the
 *   one the room chose), with the torrent's subtitles as WebVTT `<track>`s.
 * - What this tab has is the torrents in its client that are still in the playlist; it tells the `torrent`
 *   feature, which announces them, and frees a torrent once its items have all left the playlist.
 *
 * The player: the room's `<video>` arrives as its owner (player/video.ts) through `attachVideo`. This store
 * only attaches and detaches sources on it and follows its events; when to play, pause or seek is playback
 * sync's decision (sync/session.ts), never this store's.
 *
 * Test and benchmark hooks: performance marks `theatron:stream:<what>:<infoHash>`, once each per tab, for
 * `add` (this tab started fetching the torrent), `metadata` (its file list is known), `stream` (the file is
 * handed to the video: from the dropped file, through MSE or through the service worker), `head` (the torrent
 * started with true pieces a member sent with the item, torrent/head.ts; `detail`: `{pieces, bytes}`), `resume`
 * (it started with true pieces stored by an earlier visit, torrent/piece-store.ts; `detail`: `{pieces, bytes}`),
 * `canplay` (first `canplay`: the element could play; the room may start later, when every member can),
 * `playing` (first `playing` event) and `complete` (the played file is downloaded and verified); a file played
 * before its torrent exists has its `canplay` and `playing` under its `localKey` instead. `canplay` and `playing` carry the event's own
 * time stamp (when the element fired it), not the time the page got round to the listener.
 */
import { untrack } from 'svelte'
import { SvelteMap, SvelteSet } from 'svelte/reactivity'
import { StreamError, toStreamError } from '../torrent/errors.ts'
import { chooseFile } from '../media/files.ts'
import type { Head } from '../torrent/head.ts'
import type { CanPlayType } from '../media/formats.ts'
import {
  afterVideoError,
  afterVideoMetadata,
  nameUnplayable,
  Subtitles,
  type NowPlaying,
} from '../media/now-playing.ts'
import { unplayableCodecs } from '../media/codecs.ts'
import type { Video } from '../player/video.ts'
import type { Timers } from '../timers.ts'
import {
  isLocalItem,
  lostDrops,
  isTorrentItem,
  isUrlItem,
  itemKey,
  type LocalItem,
  type PlaylistItem,
  type PlaylistItemData,
  type TorrentItem,
  type UrlItem,
} from '../playlist/playlist.ts'
import { attachableFile } from '../media/keyframes.ts'
import { mp4Name, mseCandidate, MseStream, tailIndexOf, warmUpMp4 } from '../media/mse.ts'
import { earlyLinks } from './early-links.ts'
import { hex, randomBytes } from '../random.ts'
import { rangeSource, WARM_HEAD_BYTES, WARM_TAIL_BYTES, type OwnerRanges } from '../torrent/range-source.ts'
import { preferTorrent, type SwitchingSource } from '../torrent/prefer-torrent.ts'
import { playedSupply } from './supply.ts'
import { looksLikeUrl, parseVideoUrl, type VideoUrl } from '../media/url.ts'
import { MEDIA_ERR } from '../media/formats.ts'
import { attachLink, explainLinkFailure } from './links.ts'
import { PlaylistStore } from '../playlist/store.svelte.ts'
import type { FeatureHost } from '../room/feature.ts'
import type { TorrentProgress, TorrentStatus } from '../torrent/progress.ts'
import { parseDroppedFiles, parseText } from '../media/source.ts'
import { isSubtitleName } from '../media/subtitles.ts'
import type { SubtitleTrack } from '../media/now-playing.ts'
import { SubtitleShare } from '../playlist/subtitle-share.ts'
import { EmbeddedSubtitles, isMatroskaName, type EmbeddedSubtitleTrack } from '../media/embedded-subtitles.ts'
import { trace } from '../trace.ts'
import type { TorrentClient } from '../torrent/client.ts'
import { TorrentFeature } from '../torrent/feature.ts'
import type { TorrentPeer } from '../torrent/links.ts'
import {
  hostOf,
  magnetSources,
  NO_OUTSIDE_SOURCES,
  onHosts,
  rebuildMagnet,
  rebuildTorrentFile,
  torrentFileSources,
} from '../torrent/sources.ts'

export { TORRENT_FEATURE } from '../torrent/feature.ts'
export type { NowPlaying, SubtitleTrack } from '../media/now-playing.ts'

/** What the store uses of TorrentClient (tests may hand in a fake). */
export type StreamClient = Pick<
  TorrentClient,
  | 'on'
  | 'add'
  | 'seed'
  | 'addPeer'
  | 'prepare'
  | 'streamTo'
  | 'readFile'
  | 'remove'
  | 'destroy'
  | 'torrentFile'
  | 'fileSource'
  | 'pieceTaker'
  | 'yieldToPlayhead'
  | 'head'
  | 'headVerified'
  | 'codecs'
  | 'resumed'
>

export interface StreamingOptions {
  room: FeatureHost
  client: StreamClient
  /** A dedicated WebRTC connection for one torrent with one member (the mesh's simple-peer factory). */
  createPeer: (initiator: boolean) => TorrentPeer
  timers?: Timers
  /** This browser's own trackers (torrent/config.ts): not outside sources when a member's magnet names them. */
  trackers?: readonly string[]
  /**
   * A remote control: the playlist and what plays, but no torrent is added and nothing downloaded or seeded
   * (the film plays on another member's screen).
   */
  remote?: boolean
  /** `worker`: this browser plays every file through the service worker (torrent/config.ts). */
  streamVia?: 'auto' | 'worker'
  /** Whether a large dropped WebM or MP4 is shared before it is hashed (`#sharePrepared`); off by default. */
  shareEarly?: boolean
}

/**
 * A dropped WebM or MP4 at least this large is shared before it is hashed (`#sharePrepared`). A smaller one is
 * hashed in well under a second and goes out as a torrent with its first pieces (torrent/head.ts).
 */
export const SHARE_EARLY_MIN_BYTES = 32 * 1024 * 1024

/** What a remote control says to a dropped video: it has no player, and shares nothing. */
export const REMOTE_FILES =
  'This is a remote control: drop the video on the page that plays it (a link or a .torrent works here).'

export interface Notice {
  kind: 'error' | 'info'
  text: string
}

const STATUS_TEXT: Record<TorrentStatus, string> = {
  'fetching-metadata': 'Finding the torrent…',
  'waiting-for-peers': new StreamError('waiting-for-peers').message,
  downloading: 'Downloading',
  complete: 'Complete',
}

export function statusText(status: TorrentStatus): string {
  return STATUS_TEXT[status]
}

export class StreamingStore {
  readonly playlist: PlaylistStore
  readonly progress = new SvelteMap<string, TorrentProgress>()
  nowPlaying = $state.raw<NowPlaying | null>(null)
  /** A remote control: no player, nothing downloaded (`StreamingOptions.remote`). */
  readonly remote: boolean
  notice = $state.raw<Notice | null>(null)
  /** A local file being hashed for seeding (its name), so the person sees something happen. */
  preparing = $state<string | null>(null)

  readonly #client: StreamClient
  readonly #torrents: TorrentFeature
  readonly #subtitles: Subtitles
  /** Subtitle files members dropped for items (playlist/subtitle-share.ts). */
  readonly #shared: SubtitleShare
  /** The shown item's tracks: from its torrent, and the blob URLs of those members dropped (by their id). */
  #torrentTracks: SubtitleTrack[] = []
  /** The text tracks inside the shown file (a Matroska's), read as it streams. */
  #embedded: EmbeddedSubtitles | null = null
  #embeddedTracks: SubtitleTrack[] = []
  // Bookkeeping nothing renders: a plain collection on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #sharedUrls = new Map<string, string>()
  readonly #stopEffects: () => void
  readonly #release: (() => void)[] = []
  // Bookkeeping nothing renders: a plain collection on purpose.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  readonly #marked = new Set<string>()
  /* eslint-enable svelte/prefer-svelte-reactivity */
  /** The room's `<video>`, through its owner; null while there is none. */
  #video = $state.raw<Video | null>(null)
  #shownKey = ''
  /** The shown item's link, when it is a link item. */
  #link: VideoUrl | null = null
  #shownVideo: Video | null = null
  #generation = 0
  #detachVideo: (() => void) | null = null
  #destroyed = false
  readonly #selfId: string
  /** Hosts of this browser's own trackers. */
  readonly #ownHosts: ReadonlySet<string>
  /** Per torrent, the outside hosts the person approved (torrent/sources.ts). */
  readonly #approved = new SvelteMap<string, ReadonlySet<string>>()
  /** Per torrent, the outside sources its `.torrent` from a member names, once it has been loaded. */
  readonly #metaSources = new SvelteMap<string, readonly string[]>()
  /** Files this tab dropped and shares by key before their torrents exist (its own player plays them). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping nothing renders
  readonly #localFiles = new Map<string, File>()
  /**
   * The shown item while it streams from its owner: its id, its key, and the source the player reads, which
   * takes the torrent once the item has one (null: this tab waits for the torrent instead).
   */
  #prepared: { itemId: string; localKey: string; source: SwitchingSource | null; upgraded: boolean } | null =
    null
  /** A prepared source's torrent's background download, giving way to its player (torrent/background.ts). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping nothing renders
  readonly #yields = new Map<SwitchingSource, () => void>()
  /** Whether this browser streams WebM and MP4 through MSE (the `theatron:stream-via` setting). */
  readonly #viaMse: boolean
  readonly #shareEarly: boolean

  constructor({
    room,
    client,
    createPeer,
    timers,
    trackers = [],
    remote = false,
    streamVia = 'auto',
    shareEarly = false,
  }: StreamingOptions) {
    this.#selfId = room.selfId
    this.#shareEarly = shareEarly
    this.#viaMse = streamVia === 'auto'
    this.remote = remote
    this.#ownHosts = new SvelteSet(trackers.flatMap((url) => hostOf(url) ?? []))
    this.#client = client
    this.playlist = new PlaylistStore(room)
    this.#torrents = new TorrentFeature({
      room,
      client,
      createPeer,
      selected: () => {
        const selected = this.playlist.selected
        return selected && isTorrentItem(selected) ? selected : null
      },
      timers,
    })
    this.#subtitles = new Subtitles(client)
    this.#shared = new SubtitleShare(room, (itemId) => {
      if (this.nowPlaying?.itemId === itemId) this.#showSubtitles()
    })
    this.#release.push(
      client.on('progress', (p) => this.#onProgress(p)),
      client.on('error', (infoHash, error) => this.#onClientError(infoHash, error)),
    )
    // The service worker takes a while to install in a fresh profile; do it before anything is selected.
    if (!remote) void client.prepare()
    this.#stopEffects = $effect.root(() => {
      $effect(() => {
        const item = this.playlist.selected
        const video = this.#video
        untrack(() => this.#show(item, video))
      })
      $effect(() => {
        const items = this.playlist.items
        untrack(() => {
          this.#prune(items)
          this.#linkEarly(items)
          this.#warmUp(items)
        })
      })
    })
  }

  get canEdit(): boolean {
    return this.playlist.canEdit
  }

  /** This tab's peer id (whose items are its own). */
  get selfId(): string {
    return this.#selfId
  }

  /**
   * The played file's download, for playback sync to see a stall coming (a peer slower than the video's
   * bitrate): bytes per second arriving now, the file's length, and whether it is all here.
   */
  supply(): { downloadBps: number; length: number; complete: boolean } | null {
    const infoHash = this.nowPlaying?.infoHash
    const p = infoHash ? this.progress.get(infoHash) : undefined
    // A dropped film's player reads what its torrent lacks from the owner (stream/supply.ts).
    const source = this.#prepared?.itemId === this.nowPlaying?.itemId ? this.#prepared?.source : null
    return playedSupply(p, source?.ownerServes() ?? false)
  }

  // ── what a person does ───────────────────────────────────────────────────────────────────────────────

  /**
   * A pasted magnet link, info hash, or web link to a video file or HLS stream. Returns false (with a notice)
   * when it can't be added.
   */
  addText(text: string): boolean {
    if (!this.#mayEdit()) return false
    if (looksLikeUrl(text)) return this.#addLink(text)
    const parsed = parseText(text)
    if (!parsed.ok) {
      this.notice = { kind: 'error', text: parsed.error.message }
      return false
    }
    const { source } = parsed
    this.notice = null
    this.#addItem({
      torrentId: source.magnet,
      infoHash: source.infoHash,
      title: source.name ?? `Torrent ${source.infoHash.slice(0, 8)}`,
    })
    return true
  }

  #addLink(text: string): boolean {
    const parsed = parseVideoUrl(text)
    if (!parsed.ok) {
      this.notice = { kind: 'error', text: parsed.message }
      return false
    }
    this.notice = null
    const { url, title } = parsed.value
    this.#addItem({ kind: 'url', url, title })
    return true
  }

  /**
   * Dropped or picked files: a `.torrent` file is opened; videos are seeded from this browser; subtitle files
   * on their own go to the item playing, for everyone.
   */
  async addFiles(files: readonly File[]): Promise<void> {
    if (!this.#mayEdit()) return
    if (files.length > 0 && files.every((f) => isSubtitleName(f.name))) return this.#addSubtitles(files)
    const parsed = await parseDroppedFiles(files)
    if (this.#destroyed) return
    if (!parsed.ok) {
      this.notice = { kind: 'error', text: parsed.error.message }
      return
    }
    const { source } = parsed
    this.notice = null
    if (source.kind !== 'local-files') {
      const item = { torrentId: source.magnet, infoHash: source.infoHash, title: source.name ?? '' }
      this.#addItem(item, source.kind === 'torrent-file' ? source.bytes : null)
      return
    }
    if (this.remote) {
      this.notice = { kind: 'info', text: REMOTE_FILES }
      return
    }
    const [first] = source.files
    const early =
      this.#shareEarly && source.files.length === 1 && first && first.size >= SHARE_EARLY_MIN_BYTES
    if (early && mseCandidate(first.name)) return this.#sharePrepared(first)
    this.preparing = first?.name ?? 'video'
    try {
      const info = await this.#client.seed(source.files)
      if (this.#destroyed) return
      // WebTorrent's magnet carries its own parameter order; the room shares the canonical form.
      const canonical = parseText(info.magnet)
      const magnet = canonical.ok ? canonical.source.magnet : info.magnet
      const item = { torrentId: magnet, infoHash: info.infoHash, title: info.name }
      // The file the others will play (they choose the same way), its first pieces sent with the item.
      const video = this.#video
      const { chosen } = chooseFile(info.files, video ? (type) => video.canPlayType(type) : undefined)
      const head = chosen ? await this.#client.head(info.infoHash, chosen.index).catch(() => null) : null
      if (this.#destroyed) return
      this.#addItem(item, this.#client.torrentFile(info.infoHash), head)
      this.#torrents.setHave(info.infoHash, true)
    } catch (err) {
      this.notice = { kind: 'error', text: toStreamError(err).message }
    } finally {
      this.preparing = null
    }
  }

  /**
   * A dropped WebM or MP4, shared at once: the item goes out as `local` (its name, size and a random key), the
   * others stream it from this tab by that key while it is hashed (torrent/range-server.ts), and its torrent
   * follows in a `ready` op, its `.torrent` sent just before on the same ordered channel.
   */
  async #sharePrepared(file: File): Promise<void> {
    const localKey = hex(randomBytes(20))
    this.#localFiles.set(localKey, file)
    this.#torrents.serveLocal(localKey, [file])
    // The announcement brings the members' links to this tab for the key.
    this.#torrents.setHave(localKey, true)
    const indexAt = mp4Name(file.name) ? await tailIndexOf(file) : null
    if (this.#destroyed) return
    const added = this.playlist.addOrSelect({
      kind: 'local',
      localKey,
      title: file.name,
      size: file.size,
      ...(indexAt === null ? {} : { indexAt }),
    })
    if (added?.kind !== 'added') return
    this.preparing = file.name
    try {
      const info = await this.#client.seed([file], undefined, this.#torrents.fileReads)
      if (this.#destroyed) return
      const canonical = parseText(info.magnet)
      const magnet = canonical.ok ? canonical.source.magnet : info.magnet
      const torrentFile = this.#client.torrentFile(info.infoHash)
      if (torrentFile) this.#torrents.shareMeta(info.infoHash, torrentFile)
      this.#torrents.setHave(info.infoHash, true)
      this.playlist.ready(added.id, { torrentId: magnet, infoHash: info.infoHash, title: info.name })
    } catch (err) {
      this.notice = { kind: 'error', text: toStreamError(err).message }
    } finally {
      this.preparing = null
    }
  }

  async #addSubtitles(files: readonly File[]): Promise<void> {
    const item = this.playlist.selected
    if (!item) {
      this.notice = { kind: 'info', text: 'Subtitles go with a video: drop them while it plays.' }
      return
    }
    this.notice = null
    for (const file of files) {
      const shared = await this.#shared.share(item.id, file)
      if (this.#destroyed) return
      if (!shared.ok) this.notice = { kind: 'error', text: shared.error }
    }
  }

  select(id: string): void {
    if (this.#mayEdit()) this.playlist.select(id)
  }

  remove(id: string): void {
    if (this.#mayEdit()) this.playlist.remove(id)
  }

  /** Moves an item one place up (-1) or down (+1). */
  move(id: string, by: -1 | 1): void {
    if (!this.#mayEdit()) return
    const index = this.playlist.items.findIndex((i) => i.id === id)
    if (index >= 0) this.playlist.move(id, index + by)
  }

  /** Plays another file of the selected torrent, for the whole room. */
  chooseFile(fileIndex: number): void {
    const current = this.playlist.selected
    if (current && this.#mayEdit()) this.playlist.select(current.id, fileIndex)
  }

  /**
   * The outside hosts (trackers not our own, web seeds, `.torrent` locations, a link's server) an item from
   * another member names and the person has not approved: the playlist asks before this tab fetches from
   * them. [] for our own items.
   */
  outsideHosts(item: PlaylistItem): string[] {
    if (item.addedBy === this.#selfId) return []
    if (isLocalItem(item)) return []
    const approved = this.#approved.get(itemKey(item))
    const urls = isUrlItem(item)
      ? [item.url]
      : isTorrentItem(item)
        ? [...magnetSources(item.torrentId), ...(this.#metaSources.get(item.infoHash) ?? [])]
        : []
    const hosts = new Set(urls.flatMap((url) => hostOf(url) ?? [])) // eslint-disable-line svelte/prefer-svelte-reactivity -- local
    return [...hosts].filter((host) => !this.#ownHosts.has(host) && !approved?.has(host)).sort()
  }

  /**
   * The person approved fetching an item from the outside hosts it names: the torrent starts again with them,
   * a link plays.
   */
  async allowOutsideSources(item: PlaylistItem): Promise<void> {
    const hosts = this.outsideHosts(item)
    if (this.#destroyed || hosts.length === 0) return
    const approved = [...(this.#approved.get(itemKey(item)) ?? []), ...hosts]
    this.#approved.set(itemKey(item), new SvelteSet(approved))
    if (!isTorrentItem(item)) {
      this.#shownKey = ''
      return this.#show(this.playlist.selected, this.#video)
    }
    if (!isTorrentItem(item) || !this.#torrents.has(item.infoHash)) return
    this.#torrents.setHave(item.infoHash, false)
    this.progress.delete(item.infoHash)
    await this.#client.remove(item.infoHash)
    if (this.#destroyed) return
    this.#shownKey = ''
    this.#show(this.playlist.selected, this.#video)
  }

  dismissNotice(): void {
    this.notice = null
  }

  /** The room's `<video>` arrives (and leaves with `detachVideo`). Safe to call from an effect. */
  attachVideo(video: Video): void {
    untrack(() => {
      if (this.#destroyed || this.#video === video) return
      this.#detachVideo?.()
      // At the event's own time stamp: when the element fired it. A busy page runs the listener late, which
      // is the page's lag, not the player's.
      const markFirst = (what: 'canplay' | 'playing') => (event: Event) => {
        const hash = this.nowPlaying?.infoHash ?? this.#prepared?.localKey
        if (hash) this.#mark(what, hash, { startTime: event.timeStamp })
      }
      const off = [
        video.on('error', () => this.#onVideoError(video)),
        video.on('loadedmetadata', () => this.#onVideoMetadata(video)),
        video.on('canplay', markFirst('canplay')),
        video.on('playing', markFirst('playing')),
      ]
      this.#detachVideo = () => {
        for (const unsubscribe of off) unsubscribe()
      }
      this.#video = video
    })
  }

  detachVideo(video: Video): void {
    untrack(() => {
      if (this.#video !== video) return
      this.#detachVideo?.()
      this.#detachVideo = null
      this.#video = null
    })
  }

  /** Releases the client (torrents, their storage, peers), the links, the features, effects, blob URLs. */
  destroy(): void {
    untrack(() => this.#destroy())
  }

  // ── private ──────────────────────────────────────────────────────────────────────────────────────────

  #destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#generation++
    this.#stopEffects()
    for (const release of this.#release.splice(0)) release()
    this.#torrents.destroy()
    this.playlist.destroy()
    this.#subtitles.revoke()
    this.#shared.destroy()
    this.#revokeShared()
    this.#stopEmbedded()
    const video = this.#video
    if (video) {
      video.detachSource()
      this.detachVideo(video)
    }
    void this.#client.destroy()
  }

  #mayEdit(): boolean {
    if (this.#destroyed) return false
    if (this.playlist.canEdit) return true
    this.notice = {
      kind: 'info',
      text: 'The host has locked the controls; only the host can change the playlist.',
    }
    return false
  }

  /**
   * One item per torrent: the same magnet, `.torrent` or file again plays the item that is already there, for
   * the room, with a notice saying so. Two members adding the same torrent at the same moment get one item
   * too: every peer lists the earlier add (playlist/playlist.ts).
   * `meta`: our `.torrent` bytes, sent to everyone just before the item, with `head` (torrent/head.ts).
   */
  #addItem(item: PlaylistItemData, meta: Uint8Array | null = null, head: Head | null = null): void {
    const known = this.playlist.items.some((i) => itemKey(i) === itemKey(item))
    if (meta && !known && isTorrentItem(item)) this.#torrents.shareMeta(item.infoHash, meta, head)
    const added = this.playlist.addOrSelect(item)
    if (added?.kind === 'selected')
      this.notice = { kind: 'info', text: `“${added.item.title}” is already in the playlist: playing it.` }
  }

  /** Shows the selected item: add its torrent, pick the file, stream it, attach subtitles; or play its link. */
  #show(item: PlaylistItem | null, video: Video | null): void {
    if (this.#destroyed) return
    // A prepared file keeps its identity when it gains its torrent: the player reads on, nothing restarts.
    const identity = item ? (item.local ? `local:${item.local.localKey}` : itemKey(item)) : ''
    const key = item ? `${item.id}|${identity}|${item.fileIndex ?? ''}` : ''
    if (key === this.#shownKey && video === this.#shownVideo) {
      if (item && isTorrentItem(item) && item.local) this.#upgrade(item, video)
      return
    }
    this.#prepared = null
    const torrent = item && isTorrentItem(item) ? item : null
    const local = item && isLocalItem(item) ? item : null
    const sameTorrent = torrent !== null && this.nowPlaying?.infoHash === torrent.infoHash
    this.#shownKey = key
    this.#shownVideo = video
    const generation = ++this.#generation
    this.#subtitles.revoke()
    this.#revokeShared()
    this.#stopEmbedded()
    this.#torrentTracks = []
    this.#link = null
    // Before anything is awaited: a member's link for it may be assigned by the next message.
    // A remote control downloads nothing: it makes no torrent links.
    if (local && local.addedBy !== this.#selfId && !this.remote)
      this.#torrents.ownerRanges(local.localKey, local.addedBy)
    this.#torrents.expect(this.remote ? null : (torrent?.infoHash ?? local?.localKey ?? null))
    if (!item) {
      this.nowPlaying = null
      video?.detachSource()
      return
    }
    // A shared screen is not played by this element: the stage shows the call's picture of it instead.
    const screen = item.kind === 'screen'
    if (screen) video?.detachSource()
    this.nowPlaying = {
      itemId: item.id,
      infoHash: torrent?.infoHash ?? null,
      title: item.title,
      state: screen ? 'streaming' : 'loading',
      fileIndex: null,
      fileName: torrent || screen ? null : item.title,
      choices: sameTorrent ? (this.nowPlaying?.choices ?? []) : [],
      subtitles: [],
      error: null,
      warning: null,
    }
    // A remote control shows what plays and downloads nothing.
    if (this.remote) return
    this.#showSubtitles()
    if (torrent) void this.#load(torrent, video, generation)
    else if (local) this.#loadPrepared(local, video, generation)
    else if (isUrlItem(item)) void this.#loadLink(item, video, generation)
  }

  /**
   * Plays a file its owner is still hashing: the owner its own `File`; a member through MSE, reading it from
   * the owner (torrent/range-source.ts) until the torrent comes (`#upgrade`). A member whose browser can't
   * take it through MSE waits for the torrent.
   */
  #loadPrepared(item: LocalItem, video: Video | null, generation: number): void {
    const mine = item.addedBy === this.#selfId
    const file = mine ? this.#localFiles.get(item.localKey) : undefined
    const viaMse = !mine && this.#viaMse && mseCandidate(item.title)
    this.#prepared = { itemId: item.id, localKey: item.localKey, source: null, upgraded: false }
    trace('stream:local', { mine, viaMse })
    if (!video || (mine && !file) || (!mine && !viaMse)) return
    if (viaMse) warmUpMp4(item.title)
    if (file) {
      video.attachSource(attachableFile(file, item.title))
    } else {
      // Kept until the torrent has every byte: the owner's link serves what the torrent lacks.
      const ranges = this.#linkOwner(item)
      const source = preferTorrent(rangeSource(ranges, 0, item.size, item.indexAt), () => ranges.reachable)
      this.#prepared.source = source
      const stream = new MseStream(video, source, ({ reason, unplayable }) => {
        if (generation !== this.#generation) return
        if (video.isAttached(attached)) video.detachSource()
        // The torrent's path (the service worker) may still play it; or the person reads which codec it is.
        if (this.#prepared) this.#prepared.source = null
        if (unplayable) this.#failPrepared(generation, unplayable)
        else console.info(`stream: ${item.title} waits for its torrent: ${reason}`)
      })
      const attached = stream.attachable(() => {
        this.#stopYield(source)
        stream.destroy()
      })
      video.attachSource(attached)
    }
    if (this.nowPlaying) this.nowPlaying = { ...this.nowPlaying, state: 'streaming' }
  }

  #stopYield(source: SwitchingSource): void {
    this.#yields.get(source)?.()
    this.#yields.delete(source)
  }

  #failPrepared(generation: number, sentence: string): void {
    const now = this.nowPlaying
    if (generation !== this.#generation || !now) return
    this.nowPlaying = { ...now, state: 'error', error: sentence }
  }

  /**
   * The shown prepared file has its torrent now. Its owner seeds it already; a member adds it and the player's
   * source takes the torrent's verified pieces from here on (no restart: the read goes on); a member that was
   * waiting for the torrent plays it as any torrent.
   */
  #upgrade(item: TorrentItem, video: Video | null): void {
    const prepared = this.#prepared
    if (!prepared || prepared.itemId !== item.id || prepared.upgraded) return
    prepared.upgraded = true
    const generation = this.#generation
    this.#torrents.expect(this.remote ? null : item.infoHash)
    if (this.remote) return
    if (item.addedBy === this.#selfId) {
      if (this.nowPlaying) this.nowPlaying = { ...this.nowPlaying, infoHash: item.infoHash, fileIndex: 0 }
      return
    }
    const source = prepared.source
    if (!source) return void this.#load(item, video, generation)
    void this.#addUnder(item, source, video, generation)
  }

  /** Adds a prepared file's torrent and hands it to the source the player already reads. */
  async #addUnder(
    item: TorrentItem,
    source: SwitchingSource,
    video: Video | null,
    generation: number,
  ): Promise<void> {
    const current = () => generation === this.#generation && !this.#destroyed
    try {
      this.#mark('add', item.infoHash)
      const shared = await this.#torrents.meta(item.infoHash)
      if (!current()) return
      const { magnet, bytes } = this.#withoutOutsideSources(item, shared)
      const ready = this.#client.add({ infoHash: item.infoHash, magnet, ...(bytes ? { bytes } : {}) })
      this.#torrents.setHave(item.infoHash, true)
      const info = await ready
      this.#mark('metadata', item.infoHash)
      if (!current()) return
      const torrentSource = info.files.length === 1 ? this.#client.fileSource(item.infoHash, 0) : null
      if (torrentSource && torrentSource.length === source.length)
        source.useTorrent(torrentSource, this.#client.pieceTaker(item.infoHash, 0))
      // Still the player's source (an unplayable one is dropped): its torrent gives way while it waits.
      if (video && this.#prepared?.source === source && !this.#yields.has(source))
        this.#yields.set(source, this.#client.yieldToPlayhead(item.infoHash, 0, video))
      if (this.nowPlaying)
        this.nowPlaying = {
          ...this.nowPlaying,
          infoHash: item.infoHash,
          fileIndex: 0,
          fileName: info.files[0]?.name ?? null,
        }
    } catch (err) {
      console.warn(`stream: the torrent of ${item.title} did not start`, err)
    }
  }

  /** Plays a link item from its server, once the person approved a member's link (`outsideHosts`). */
  async #loadLink(item: UrlItem, video: Video | null, generation: number): Promise<void> {
    const parsed = parseVideoUrl(item.url)
    if (!parsed.ok) return this.#failLink(generation, parsed.message)
    const link = parsed.value
    this.#link = link
    if (this.outsideHosts(item).length > 0) {
      const warning = `This link is on ${link.host}: allow it in the playlist to play it.`
      if (this.nowPlaying) this.nowPlaying = { ...this.nowPlaying, warning }
      return
    }
    if (!video) return
    const current = () => generation === this.#generation && !this.#destroyed
    const attached = await attachLink(link, video, current, (sentence) =>
      this.#failLink(generation, sentence),
    )
    if (attached && current() && this.nowPlaying?.state === 'loading')
      this.nowPlaying = { ...this.nowPlaying, state: 'streaming', warning: null }
  }

  /** The shown link failed: the first sentence that says why stays. */
  #failLink(generation: number, sentence: string): void {
    const now = this.nowPlaying
    if (generation !== this.#generation || this.#destroyed || !now || now.state === 'error') return
    this.nowPlaying = { ...now, state: 'error', error: sentence, warning: null }
  }

  async #load(item: TorrentItem, video: Video | null, generation: number): Promise<void> {
    const current = () => generation === this.#generation && !this.#destroyed
    const update = (patch: Partial<NowPlaying>) => {
      if (current() && this.nowPlaying) this.nowPlaying = { ...this.nowPlaying, ...patch }
    }
    try {
      const first = !this.#torrents.has(item.infoHash)
      if (first) this.#mark('add', item.infoHash)
      const shared = first ? await this.#torrents.meta(item.infoHash) : null
      if (!current()) return
      const { magnet, bytes } = this.#withoutOutsideSources(item, shared)
      const ready = this.#client.add({
        infoHash: item.infoHash,
        magnet,
        ...(bytes ? { bytes } : {}),
        head: first ? this.#torrents.takeHead(item.infoHash) : null,
      })
      this.#torrents.setHave(item.infoHash, true)
      if (!video) return
      const info = await ready
      this.#mark('metadata', item.infoHash)
      const head = this.#client.headVerified(item.infoHash)
      if (head.pieces > 0) this.#mark('head', item.infoHash, { detail: head })
      const resumed = this.#client.resumed(item.infoHash)
      if (resumed.pieces > 0) this.#mark('resume', item.infoHash, { detail: resumed })
      if (!current()) return
      const canPlay: CanPlayType = (type) => video.canPlayType(type)
      const { chosen, choices } = chooseFile(info.files, canPlay)
      const index = item.fileIndex ?? chosen?.index
      const choice = choices.find((c) => c.index === index)
      if (index === undefined || !choice) {
        const reason = choices[0]?.reason
        update({ state: 'error', choices, error: reason ?? new StreamError('no-playable-file').message })
        video.detachSource()
        return
      }
      const file = info.files[index]
      if (!file) throw new StreamError('no-playable-file')
      if (choice.verdict === 'no') {
        update({
          state: 'error',
          choices,
          fileIndex: index,
          fileName: file.name,
          error: choice.reason ?? null,
        })
        video.detachSource()
        return
      }
      update({ choices, fileIndex: index, fileName: file.name, warning: choice.reason ?? null })
      await this.#client.streamTo(item.infoHash, index, video)
      this.#mark('stream', item.infoHash)
      if (!current()) return
      update({ state: 'streaming' })
      if (isMatroskaName(file.name)) this.#readEmbedded(item.infoHash, index, generation)
      await this.#attachSubtitles(item.infoHash, info.files, file.name, generation)
    } catch (err) {
      update({ state: 'error', error: toStreamError(err).message })
    }
  }

  /**
   * A member's magnet and `.torrent` rebuilt from their validated fields, with only the outside sources the
   * person approved (torrent/sources.ts); ours as they are.
   */
  #withoutOutsideSources(
    item: TorrentItem,
    bytes: Uint8Array | null,
  ): { magnet: string; bytes: Uint8Array | null } {
    if (item.addedBy === this.#selfId) return { magnet: item.torrentId, bytes }
    if (bytes) this.#metaSources.set(item.infoHash, torrentFileSources(bytes))
    const approved = this.#approved.get(item.infoHash)
    const allow = approved ? onHosts(approved) : NO_OUTSIDE_SOURCES
    const magnet = rebuildMagnet(item.torrentId, allow) ?? `magnet:?xt=urn:btih:${item.infoHash}`
    return { magnet, bytes: bytes ? rebuildTorrentFile(bytes, allow) : null }
  }

  async #attachSubtitles(
    infoHash: string,
    files: readonly { name: string; path: string; length: number }[],
    videoName: string,
    generation: number,
  ): Promise<void> {
    const tracks = await this.#subtitles.load(
      infoHash,
      files,
      videoName,
      () => generation === this.#generation,
    )
    if (tracks && generation === this.#generation && this.nowPlaying && tracks.length > 0) {
      this.#torrentTracks = tracks
      this.#showSubtitles()
    }
  }

  /** Reads the text tracks inside the shown Matroska file as its verified bytes come. */
  #readEmbedded(infoHash: string, fileIndex: number, generation: number): void {
    const source = this.#client.fileSource(infoHash, fileIndex)
    if (!source) return
    this.#embedded = new EmbeddedSubtitles({
      source,
      onChange: (wake) =>
        this.#client.on('progress', (p) => {
          if (p.infoHash === infoHash) wake()
        }),
      onTracks: (tracks) => {
        if (generation !== this.#generation || this.#destroyed) return
        this.#embeddedTracks = tracks.map((track) => this.#embeddedTrack(track))
        this.#showSubtitles()
      },
    })
  }

  #embeddedTrack({ label, language, cues }: EmbeddedSubtitleTrack): SubtitleTrack {
    const src = URL.createObjectURL(new Blob(['WEBVTT\n\n'], { type: 'text/vtt' }))
    return { src, label, language, cues }
  }

  #stopEmbedded(): void {
    this.#embedded?.stop()
    this.#embedded = null
    for (const track of this.#embeddedTracks) URL.revokeObjectURL(track.src)
    this.#embeddedTracks = []
  }

  /** The shown item's tracks: its torrent's, those inside the file, then those members dropped for it. */
  #showSubtitles(): void {
    const now = this.nowPlaying
    if (!now) return
    const shared = this.#shared.of(now.itemId).map(({ id, vtt, label, language }) => {
      let src = this.#sharedUrls.get(id)
      if (!src) {
        src = URL.createObjectURL(new Blob([vtt], { type: 'text/vtt' }))
        this.#sharedUrls.set(id, src)
      }
      return { src, label, language }
    })
    this.nowPlaying = { ...now, subtitles: [...this.#torrentTracks, ...this.#embeddedTracks, ...shared] }
  }

  #revokeShared(): void {
    for (const url of this.#sharedUrls.values()) URL.revokeObjectURL(url)
    this.#sharedUrls.clear()
  }

  /**
   * Torrents whose items all left the playlist are stopped, their storage freed, their links closed. A file
   * this tab dropped that is still listed without its torrent, though this tab no longer has it (a reload
   * before its hashing ended), is removed: nobody else has its bytes.
   */
  #prune(items: readonly PlaylistItem[]): void {
    if (this.#destroyed) return
    if (!this.remote)
      for (const item of lostDrops(items, this.#selfId, (key) => this.#localFiles.has(key))) {
        console.info(`stream: removed “${item.title}”: its file is no longer in this tab`)
        this.playlist.remove(item.id)
      }
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- local
    const listed = new Set(
      items.flatMap((i) =>
        isLocalItem(i)
          ? [i.localKey]
          : isTorrentItem(i)
            ? [i.infoHash, ...(i.local ? [i.local.localKey] : [])]
            : [],
      ),
    )
    this.#shared.keepOnly(new Set(items.map((i) => i.id))) // eslint-disable-line svelte/prefer-svelte-reactivity -- local
    for (const infoHash of this.#torrents.have()) {
      if (listed.has(infoHash)) continue
      this.#torrents.setHave(infoHash, false)
      this.progress.delete(infoHash)
      this.#torrents.forgetMeta(infoHash)
      this.#torrents.forgetLocal(infoHash)
      this.#localFiles.delete(infoHash)
      void this.#client.remove(infoHash)
    }
  }

  /** Links with the owners of dropped films still being hashed before anyone selects them (early-links.ts). */
  #linkEarly(items: readonly PlaylistItem[]): void {
    if (this.remote || this.#destroyed) return
    const { open, close } = earlyLinks(items, {
      selfId: this.#selfId,
      readable: (title) => this.#viaMse && mseCandidate(title),
      has: (key) => this.#torrents.has(key),
      reading: this.#prepared?.localKey ?? null,
    })
    for (const item of open) this.#warm(item, this.#linkOwner(item))
    for (const key of close) this.#unlinkOwner(key)
  }

  /**
   * Reads a listed film's index (an MP4's tail, where its owner says it lies) and then its head from the owner
   * before anyone selects it: a start then finds them here (torrent/held-spans.ts).
   */
  #warm(item: LocalItem, ranges: OwnerRanges): void {
    const { indexAt, size } = item
    const tail = indexAt !== undefined && size - indexAt <= WARM_TAIL_BYTES && mp4Name(item.title)
    const first = tail ? ranges.warm(0, indexAt, size) : Promise.resolve()
    void first.then(() => ranges.warm(0, 0, Math.min(size, WARM_HEAD_BYTES)))
  }

  /**
   * Loads the MP4 index reader once an MP4 is in the playlist, not when it is selected: the module (mp4box)
   * takes 100–150 ms of a busy page's thread to start, and a start used to wait for it after the film's
   * index was already in (traced in `bench:movie`: the module came 20–170 ms after the index).
   */
  #warmUp(items: readonly PlaylistItem[]): void {
    if (this.remote || this.#destroyed || !this.#viaMse) return
    for (const item of items) {
      // Whoever dropped a file plays it from the file itself; whoever pasted a magnet loads it at the start.
      const streamed = (isTorrentItem(item) || isLocalItem(item)) && item.addedBy !== this.#selfId
      if (streamed && mseCandidate(item.title) && warmUpMp4(item.title)) return
    }
  }

  /** Announces a dropped film's key, which links this tab with its owner; the owner's bytes come over that. */
  #linkOwner(item: LocalItem): OwnerRanges {
    const ranges = this.#torrents.ownerRanges(item.localKey, item.addedBy)
    this.#torrents.setHave(item.localKey, true)
    return ranges
  }

  /** Withdraws a dropped film's key: its link with the owner closes. */
  #unlinkOwner(key: string): void {
    this.#torrents.setHave(key, false)
    this.#torrents.forgetLocal(key)
  }

  #onProgress(p: TorrentProgress): void {
    if (!this.#torrents.has(p.infoHash)) return
    this.progress.set(p.infoHash, p)
    if (p.status !== 'complete') return
    this.#mark('complete', p.infoHash)
    // A prepared file's torrent has every byte: the link to its owner is not needed any more.
    const from = this.playlist.items.find((i) => isTorrentItem(i) && i.infoHash === p.infoHash)?.local
    if (from && this.#torrents.has(from.localKey) && !this.#localFiles.has(from.localKey))
      this.#unlinkOwner(from.localKey)
  }

  #onClientError(infoHash: string | null, error: StreamError): void {
    const now = this.nowPlaying
    if (infoHash && now?.infoHash === infoHash)
      this.nowPlaying = { ...now, state: 'error', error: error.message }
    else this.notice = { kind: 'error', text: error.message }
  }

  #onVideoError(video: Video): void {
    const link = this.#link
    if (link) return this.#onLinkError(video, link)
    const now = afterVideoError(this.nowPlaying, video.errorCode, video.hasSource)
    if (now === this.nowPlaying) return
    this.nowPlaying = now
    if (now?.state === 'error') void this.#nameCodec(video, now, 'error')
  }

  #onVideoMetadata(video: Video): void {
    const before = this.nowPlaying
    const now = afterVideoMetadata(before, video.videoWidth)
    if (now === before) return
    this.nowPlaying = now
    if (now?.warning && now.warning !== before?.warning) void this.#nameCodec(video, now, 'no-picture')
  }

  /** The element failed on a link: its server is asked why (an emptied or replaced source is no failure). */
  #onLinkError(video: Video, link: VideoUrl): void {
    const code = video.errorCode
    if (code === undefined || code === MEDIA_ERR.ABORTED || !video.hasSource) return
    const generation = this.#generation
    void explainLinkFailure(link).then((sentence) => this.#failLink(generation, sentence))
  }

  /** A file the element can't play, or shows no picture of: the sentence names the codec when it can. */
  async #nameCodec(video: Video, at: NowPlaying, problem: 'error' | 'no-picture'): Promise<void> {
    if (at.fileIndex === null || at.infoHash === null) return
    const codecs = await this.#client.codecs(at.infoHash, at.fileIndex).catch(() => null)
    const sentence = codecs && unplayableCodecs(codecs, (type) => video.canPlayType(type) !== '')
    if (!sentence || this.#destroyed) return
    const now = nameUnplayable(this.nowPlaying, at, problem, sentence)
    if (now !== this.nowPlaying) this.nowPlaying = now
  }

  #mark(
    what: 'add' | 'metadata' | 'head' | 'resume' | 'stream' | 'canplay' | 'playing' | 'complete',
    infoHash: string,
    options?: PerformanceMarkOptions,
  ): void {
    const name = `theatron:stream:${what}:${infoHash}`
    if (this.#marked.has(name)) return
    this.#marked.add(name)
    performance.mark(name, options)
  }
}
