/**
 * The only module that imports WebTorrent (the internals it relies on are in torrent/internals.ts). One
 * `TorrentClient` per page: it adds and seeds torrents, takes room members as peers, streams a file into the
 * player (from the dropped file, through MSE or through WebTorrent's service worker), reports progress at a
 * steady rate and turns failures into StreamErrors. `destroy()` releases all of it.
 *
 * Stores get this injected (see docs/streaming.md), so components never import webtorrent.
 */
import WebTorrent, {
  type BrowserServer,
  type Torrent,
  type WebRtcPeer,
  type WebTorrentFile,
} from 'webtorrent/dist/webtorrent.min.js'
import { randomId } from '../random.ts'
import { coalesce, coalesceStreams } from './coalesce.ts'
import type { StreamVia } from './config.ts'
import type { AttachedSource, PlayheadView, SourceTarget } from '../media/target.ts'
import { StreamError, toStreamError } from './errors.ts'
import type { FileLike } from '../media/files.ts'
import { headChunks, headRange, type Head } from './head.ts'
import { alignLocalFiles } from './local-files.ts'
import { trace } from '../trace.ts'
import {
  afterCritical,
  chooseStore,
  connectionOf,
  isCritical,
  requestBlocks,
  skipUpdates,
  wrapRequests,
} from './internals.ts'
import { budgetFull, requestRun, type RunWire } from './block-runs.ts'
import { adoptingTaker } from './adopt.ts'
import type { PieceTaker } from './piece-gather.ts'
import { FileStore } from './file-store.ts'
import { MemoryStore } from './memory-store.ts'
import { IdbPieceDb, pieceDbAvailable } from './piece-db.ts'
import { PieceStore, type PieceDb } from './piece-store.ts'
import { choosePieceLength, makeTorrent } from './make-torrent.ts'
import { hashPieces, type HashWorker } from './piece-hash.ts'
import { sha1Detail } from './sha1.ts'
import type { ReadPriority } from './read-priority.ts'
import { mseCandidate, MseStream, warmUpMp4, type ByteSource } from '../media/mse.ts'
import { blobSource, type TrackCodec } from '../media/feed.ts'
import { mp4Codecs } from '../media/mse-mp4.ts'
import { attachableFile } from '../media/keyframes.ts'
import { claimStreamRequests, tagStreamUrl } from './stream-requests.ts'
import { trustRoomWire } from './tuning.ts'
import { MSE_THRESHOLDS, WORKER_THRESHOLDS, yieldToPlayhead, type Thresholds } from './background.ts'
import { fraction, torrentStatus, WAITING_FOR_PEERS_MS, type TorrentProgress } from './progress.ts'
import { realTimers, type Timers } from '../timers.ts'

/** Public WebSocket trackers, used besides room members and the magnet's own trackers. */
export const DEFAULT_TRACKERS: readonly string[] = [
  'wss://tracker.webtorrent.dev',
  'wss://tracker.openwebtorrent.com',
]

export interface TorrentClientOptions {
  /** Extra trackers for every torrent; `[]` in tests and offline rooms. */
  trackers?: readonly string[]
  /** ICE servers for tracker-found peers (room members arrive as ready connections via `addPeer`). */
  rtcConfig?: RTCConfiguration
  serviceWorkerUrl?: string
  serviceWorkerScope?: string
  progressIntervalMs?: number
  waitingForPeersMs?: number
  /** `worker`: every file through the service worker; `auto` (default): WebMs and MP4s through MSE (config.ts). */
  streamVia?: StreamVia
  /** The progress report's interval; real timers by default. */
  timers?: Timers
  /** The clock a torrent's age is measured by (milliseconds); `Date.now` by default. */
  now?: () => number
  /**
   * Where downloaded pieces are kept (torrent/piece-store.ts): IndexedDB by default where the browser has
   * it; null keeps them in memory (torrent/memory-store.ts).
   */
  pieces?: PieceDb | null
  /** Web Workers hashing a dropped file (torrent/piece-hash.ts); 0 hashes in the page (and where there are none). */
  hashWorkers?: number
}

export interface TorrentInfo {
  infoHash: string
  magnet: string
  name: string
  files: FileLike[]
}

/**
 * What to add: a parsed source (media/source.ts) or a playlist item fits. `bytes` is a .torrent file; `head`, the
 * first pieces of the file to play as a member sent them (torrent/head.ts), held by the store from the start.
 */
export interface TorrentInput {
  infoHash: string
  magnet: string
  bytes?: Uint8Array
  head?: Head | null
}

export interface TorrentClientEvents {
  progress: [TorrentProgress]
  ready: [TorrentInfo]
  error: [infoHash: string | null, error: StreamError]
}

type Listener<K extends keyof TorrentClientEvents> = (...args: TorrentClientEvents[K]) => void

interface Tracked {
  torrent: Torrent
  addedAt: number
  ready: Promise<TorrentInfo>
  /** The file being streamed; progress is reported for it alone. */
  fileIndex: number | null
  /** The pieces of the head it started with (torrent/head.ts) that were true, and their bytes; 0 before it is ready. */
  headVerified: () => HeadVerified
  /** The pieces it found stored from before (a reload), checked; 0 before it is ready. */
  resumed: () => HeadVerified
  detach: () => void
}

export class TorrentClient {
  readonly #client: WebTorrent
  readonly #options: Required<Omit<TorrentClientOptions, 'rtcConfig' | 'timers' | 'now' | 'pieces'>>
  readonly #pieces: PieceDb | null
  readonly #timers: Timers
  readonly #now: () => number
  readonly #tracked = new Map<string, Tracked>()
  /** Room peers that arrived before their torrent (or its info hash) did. */
  readonly #pendingPeers = new Map<string, Set<WebRtcPeer>>()
  /** Every room member's connection ever added: their wires are trusted at once (torrent/tuning.ts). */
  readonly #roomConns = new WeakSet<WebRtcPeer>()
  #peerSerial = 0
  /** Torrents seeded from this browser: their dropped files, in the torrent's file order (torrent/local-files.ts). */
  readonly #localFiles = new Map<string, (File | undefined)[]>()
  readonly #listeners: { [K in keyof TorrentClientEvents]: Set<Listener<K>> } = {
    progress: new Set(),
    ready: new Set(),
    error: new Set(),
  }
  readonly #timer: unknown
  #server: Promise<BrowserServer> | null = null
  /** This client's tag on its stream URLs, so that only this tab answers their requests (torrent/stream-requests.ts). */
  readonly #tab = randomId()
  #releaseRequests = () => {}
  #destroyed = false
  /** While set, a seed waits here once its pieces are hashed (`holdSeeding`, e2e build only). */
  #seedHold: Promise<void> | null = null

  constructor(options: TorrentClientOptions = {}) {
    this.#options = {
      trackers: options.trackers ?? DEFAULT_TRACKERS,
      serviceWorkerUrl: options.serviceWorkerUrl ?? '/sw.min.js',
      serviceWorkerScope: options.serviceWorkerScope ?? '/',
      progressIntervalMs: options.progressIntervalMs ?? 500,
      waitingForPeersMs: options.waitingForPeersMs ?? WAITING_FOR_PEERS_MS,
      streamVia: options.streamVia ?? 'auto',
      hashWorkers:
        options.hashWorkers ??
        (typeof Worker === 'undefined' ? 0 : Math.min(4, Math.max(2, navigator.hardwareConcurrency || 2))),
    }
    this.#timers = options.timers ?? realTimers
    this.#now = options.now ?? Date.now
    this.#pieces =
      options.pieces !== undefined ? options.pieces : pieceDbAvailable() ? new IdbPieceDb() : null
    // No DHT or LSD exist in the browser build; trackers get our ICE configuration.
    const tracker = options.rtcConfig ? { rtcConfig: options.rtcConfig } : {}
    this.#client = new WebTorrent({ dht: false, lsd: false, tracker })
    this.#client.on('error', (err: unknown) => this.#emit('error', null, toStreamError(err)))
    this.#timer = this.#timers.setInterval(() => this.#reportProgress(), this.#options.progressIntervalMs)
  }

  on<K extends keyof TorrentClientEvents>(event: K, listener: Listener<K>): () => void {
    const set = this.#listeners[event] as Set<Listener<K>>
    set.add(listener)
    return () => set.delete(listener)
  }

  /** Starts fetching a torrent (once per info hash); resolves with its files when metadata is in. */
  add(input: TorrentInput): Promise<TorrentInfo> {
    this.#assertAlive()
    const known = this.#tracked.get(input.infoHash)
    if (known) return known.ready
    const head = input.head ?? null
    const torrent = this.#client.add(input.bytes ?? input.magnet, {
      announce: [...this.#options.trackers],
      storeCacheSlots: 0, // the stores keep their own (torrent/piece-store.ts)
      ...(head ? { storeOpts: { preload: head } } : {}),
    })
    useStores(torrent, this.#pieces)
    return this.#track(torrent, input.infoHash, head).ready
  }

  /**
   * Seeds local files from this browser; resolves once they are hashed and the magnet is known. The pieces
   * are hashed in workers (torrent/piece-hash.ts), the `.torrent` is built here (torrent/make-torrent.ts), and
   * the torrent reads its pieces from the files themselves (torrent/file-store.ts): nothing is copied. While
   * `priority` is urgent (members read the files over the range protocol), the hashing reads wait.
   */
  async seed(files: readonly File[], name?: string, priority?: ReadPriority): Promise<TorrentInfo> {
    this.#assertAlive()
    const blob = new Blob([...files])
    if (blob.size === 0) throw new StreamError('invalid-source')
    const pieceLength = choosePieceLength(blob.size)
    const pieces = await hashPieces(blob, pieceLength, {
      createWorker: this.#options.hashWorkers > 0 ? createHashWorker : undefined,
      workers: this.#options.hashWorkers,
      onSha1: (report) => trace('hashing:sha1', sha1Detail(report)),
      ...(priority ? { priority } : {}),
    })
    await this.#seedHold
    this.#assertAlive()
    const specs = files.map((f) => ({ name: f.name, length: f.size }))
    const announce = [...this.#options.trackers]
    const made = await makeTorrent(specs, pieceLength, pieces, { ...(name ? { name } : {}), announce })
    this.#assertAlive()
    // Seeding what is already here hands back the torrent there is.
    const tracked =
      this.#tracked.get(made.infoHash) ??
      this.#track(
        this.#client.add(made.bytes, {
          announce,
          preloadedStore: new FileStore(pieceLength, files, blob.size),
          skipVerify: true,
        }),
        made.infoHash,
      )
    const info = await tracked.ready
    this.#localFiles.set(info.infoHash, alignLocalFiles(tracked.torrent.files, files))
    return info
  }

  /**
   * Adds a room member's dedicated WebRTC connection as a peer of a torrent, so the room shares pieces
   * without any tracker. The connection may be added before the torrent is; it is attached when it is.
   */
  addPeer(infoHash: string, peer: WebRtcPeer): void {
    this.#assertAlive()
    const pending = this.#pendingPeers.get(infoHash) ?? new Set()
    pending.add(peer)
    this.#roomConns.add(peer)
    this.#pendingPeers.set(infoHash, pending)
    this.#flushPeers(infoHash)
  }

  info(infoHash: string): TorrentInfo | null {
    const torrent = this.#tracked.get(infoHash)?.torrent
    return torrent?.ready ? infoOf(torrent) : null
  }

  /**
   * The first pieces of file `fileIndex` of a torrent this browser seeded, read from the dropped files, to send
   * with its playlist item (torrent/head.ts); null when there is nothing to send (not seeded here, a dropped file not
   * matched, pieces too large).
   */
  async head(infoHash: string, fileIndex: number): Promise<Head | null> {
    const torrent = this.#tracked.get(infoHash)?.torrent
    const local = this.#localFiles.get(infoHash)
    const file = torrent?.files[fileIndex]
    if (!torrent?.ready || !local || !file) return null
    const files = local.filter((f): f is File => f !== undefined)
    if (files.length !== local.length || files.reduce((sum, f) => sum + f.size, 0) !== torrent.length)
      return null
    const range = headRange(torrent, file)
    if (!range) return null
    // The torrent's bytes are its files one after the other; a Blob of them reads across the joins.
    const bytes = await new Blob(files).slice(range.start, range.stop).arrayBuffer()
    return { first: range.first, bytes: new Uint8Array(bytes) }
  }

  /** The pieces of the head a torrent started with that were true (none without a head, or before it is ready). */
  headVerified(infoHash: string): HeadVerified {
    return this.#tracked.get(infoHash)?.headVerified() ?? NONE_VERIFIED
  }

  /** The pieces a torrent found stored from before and that were true (none before it is ready). */
  resumed(infoHash: string): HeadVerified {
    return this.#tracked.get(infoHash)?.resumed() ?? NONE_VERIFIED
  }

  /** The `.torrent` file of a torrent whose metadata is in (to share with the room), else null. */
  torrentFile(infoHash: string): Uint8Array | null {
    const torrent = this.#tracked.get(infoHash)?.torrent
    return torrent?.ready && torrent.torrentFile ? new Uint8Array(torrent.torrentFile) : null
  }

  progress(infoHash: string): TorrentProgress | null {
    const tracked = this.#tracked.get(infoHash)
    return tracked ? this.#progressOf(infoHash, tracked) : null
  }

  /**
   * Registers the service worker and starts the stream server now, so the first `streamTo` doesn't wait for
   * a worker to install and activate (hundreds of milliseconds in a fresh browser profile), and opens the
   * piece database, so the first torrent's store does not wait for that either. Failures are reported by
   * `streamTo` or the store later; this never rejects.
   */
  async prepare(): Promise<void> {
    if (this.#destroyed) return
    await Promise.all([this.#ensureServer().catch(() => {}), this.#pieces?.warm?.()])
  }

  /**
   * Streams file `fileIndex` of a torrent into `target` (the player), fetching only that file. A file this
   * browser seeded plays straight from the dropped `File` (a `blob:` URL, see torrent/local-files.ts); the room
   * still gets its pieces from the torrent. A WebM or MP4 is appended by this page (Media Source Extensions,
   * media/mse.ts); other files, and those MSE can't open, play through WebTorrent's service worker. The
   * attached source's `kind` says which: `file`, `mse` or `worker`.
   */
  async streamTo(infoHash: string, fileIndex: number, target: SourceTarget): Promise<void> {
    const tracked = this.#tracked.get(infoHash)
    if (!tracked) throw new StreamError('not-found')
    const local = this.#localFiles.get(infoHash)?.[fileIndex]
    const name = tracked.torrent.files[fileIndex]?.name ?? ''
    const mse = !local && this.#options.streamVia === 'auto' && mseCandidate(name)
    if (mse) warmUpMp4(name)
    await Promise.all([local || mse ? null : this.#ensureServer(), tracked.ready])
    this.#assertAlive()
    const file = tracked.torrent.files[fileIndex]
    if (!file) throw new StreamError('no-playable-file')
    selectOnly(tracked.torrent.files, file)
    tracked.fileIndex = fileIndex
    if (local) return target.attachSource(attachableFile(local, name))
    coalesceStreams(file, tracked.torrent)
    const viaWorker = () => {
      const url = tagStreamUrl(file.streamURL, this.#tab)
      this.#attachGivingWay(target, { url, kind: 'worker' }, infoHash, fileIndex, WORKER_THRESHOLDS)
    }
    if (!mse) return viaWorker()
    const stream = new MseStream(target, byteSource(file, tracked.torrent), ({ reason, unplayable }) => {
      // Codecs the element can't play from a URL either: the person reads which, instead of a black box.
      if (unplayable) {
        if (target.isAttached(attached)) target.detachSource()
        return this.#emit('error', infoHash, new StreamError('unsupported-codec', reason, unplayable))
      }
      console.info(`stream: ${file.name} plays through the service worker: ${reason}`)
      void this.#ensureServer().then(
        () => {
          if (target.isAttached(attached) && !this.#destroyed) viaWorker()
        },
        (err: unknown) => this.#emit('error', infoHash, toStreamError(err)),
      )
    })
    const attached = this.#attachGivingWay(
      target,
      stream.attachable(() => stream.destroy()),
      infoHash,
      fileIndex,
      MSE_THRESHOLDS,
    )
  }

  /**
   * Attaches `source` to `target` and lets file `fileIndex`'s background download give way to its play head
   * (`yieldToPlayhead`) until the source is released; returns the source as attached.
   */
  #attachGivingWay(
    target: SourceTarget,
    source: AttachedSource,
    infoHash: string,
    fileIndex: number,
    thresholds: Thresholds,
  ): AttachedSource {
    let released = false
    let stop = () => {}
    const attached: AttachedSource = {
      ...source,
      release: () => {
        released = true
        stop()
        source.release?.()
      },
    }
    target.attachSource(attached)
    // A target that is gone releases the source at once: nothing to give way to.
    if (!released) stop = this.yieldToPlayhead(infoHash, fileIndex, target, thresholds)
    return attached
  }

  /**
   * Lets the background download of file `fileIndex` give way while `view`'s play head waits for bytes
   * (torrent/background.ts) until the returned function is called. The rest of the file downloads in the
   * background while the player is fed.
   */
  yieldToPlayhead(
    infoHash: string,
    fileIndex: number,
    view: PlayheadView,
    thresholds: Thresholds = MSE_THRESHOLDS,
  ): () => void {
    const tracked = this.#tracked.get(infoHash)
    const file = tracked?.torrent.files[fileIndex]
    if (!tracked || !file) return () => {}
    return yieldToPlayhead(
      view,
      {
        get done() {
          return file.done
        },
        select: () => {
          // Another file of the torrent plays now (`streamTo` selected it alone): this one stays deselected.
          if ((tracked.fileIndex ?? fileIndex) === fileIndex && !tracked.torrent.destroyed) file.select()
        },
        deselect: () => {
          if (!tracked.torrent.destroyed) file.deselect()
        },
      },
      thresholds,
    )
  }

  /**
   * The codecs of file `fileIndex` when it is an MP4 (from its index, media/mse-mp4.ts), to name the one the
   * browser can't play; null otherwise. A dropped file is read from disk.
   */
  async codecs(infoHash: string, fileIndex: number): Promise<TrackCodec[] | null> {
    const tracked = this.#tracked.get(infoHash)
    if (!tracked) return null
    await tracked.ready
    const local = this.#localFiles.get(infoHash)?.[fileIndex]
    const file = tracked.torrent.files[fileIndex]
    if (!file) return null
    return mp4Codecs(local ? blobSource(local) : byteSource(file, tracked.torrent))
  }

  /**
   * The bytes of file `fileIndex` (the dropped file's, for one this browser seeded), for readers beside the
   * player (media/embedded-subtitles.ts); null when the torrent or file is unknown or not ready.
   */
  fileSource(infoHash: string, fileIndex: number): ByteSource | null {
    const tracked = this.#tracked.get(infoHash)
    const file = tracked?.torrent.files[fileIndex]
    if (!tracked || !file) return null
    const local = this.#localFiles.get(infoHash)?.[fileIndex]
    return local ? blobSource(local) : byteSource(file, tracked.torrent)
  }

  /**
   * Where bytes of file `fileIndex` read from elsewhere go as whole pieces (torrent/adopt.ts), so the torrent
   * does not download them again; null when the torrent is unknown or not ready.
   */
  pieceTaker(infoHash: string, fileIndex: number): PieceTaker | null {
    const torrent = this.#tracked.get(infoHash)?.torrent
    const file = torrent?.files[fileIndex]
    return torrent?.ready && file ? adoptingTaker(torrent, file.offset) : null
  }

  /** A small file of a torrent (a subtitle), whole. */
  async readFile(infoHash: string, fileIndex: number, maxBytes = 5 * 1024 * 1024): Promise<Uint8Array> {
    const tracked = this.#tracked.get(infoHash)
    if (!tracked) throw new StreamError('not-found')
    await tracked.ready
    const file = tracked.torrent.files[fileIndex]
    if (!file || file.length > maxBytes) throw new StreamError('not-found')
    try {
      return new Uint8Array(await file.arrayBuffer())
    } catch (err) {
      throw toStreamError(err)
    }
  }

  /** Stops a torrent and frees its storage. */
  async remove(infoHash: string): Promise<void> {
    const tracked = this.#tracked.get(infoHash)
    if (!tracked) return
    this.#tracked.delete(infoHash)
    this.#localFiles.delete(infoHash)
    tracked.detach()
    await new Promise<void>((resolve) => {
      this.#client.remove(tracked.torrent, { destroyStore: true }, () => resolve()).catch(() => resolve())
    })
  }

  /**
   * Caps what this tab uploads, all torrents together, at `bytesPerSecond`; null lifts the cap. The benchmarks
   * starve a room with it (testing/hooks.ts, e2e build only); the app itself never caps.
   */
  throttleUpload(bytesPerSecond: number | null): void {
    if (this.#destroyed) return
    // The cap is lifted first, always: WebTorrent's limiter (speed-limiter) fails a slice that waits for more
    // bytes than a lower cap allows in a second, and that error tears down the wire it was for and its
    // connection (docs/streaming.md, "Stalled members, traced"). Lifting it lets the waiting slices go.
    this.#client.throttleUpload(-1)
    if (bytesPerSecond !== null) this.#client.throttleUpload(Math.max(0, Math.round(bytesPerSecond)))
  }

  /**
   * Holds every seed after its hashing until the returned function is called: the e2e tests make a slow
   * hashing with it (testing/hooks.ts, e2e build only); the app itself never holds.
   */
  holdSeeding(): () => void {
    let release = () => {}
    this.#seedHold = new Promise<void>((resolve) => (release = resolve))
    return () => {
      this.#seedHold = null
      release()
    }
  }

  /** Releases everything: timer, listeners, torrents, their storage, peers, the stream server. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#timers.clearInterval(this.#timer)
    this.#releaseRequests()
    this.#localFiles.clear()
    for (const tracked of this.#tracked.values()) tracked.detach()
    this.#tracked.clear()
    for (const peers of this.#pendingPeers.values()) for (const peer of peers) peer.destroy()
    this.#pendingPeers.clear()
    for (const set of Object.values(this.#listeners)) set.clear()
    await new Promise<void>((resolve) => this.#client.destroy(() => resolve()))
  }

  // ── private ──────────────────────────────────────────────────────────────────────────────────────────

  #track(torrent: Torrent, infoHash: string, head: Head | null = null): Tracked {
    let detach = () => {}
    // Room members ask each other for adjacent blocks in one request (torrent/block-runs.ts).
    const roomWires = new WeakSet<object>()
    wrapRequests(
      torrent,
      (original) => (wire, index, hotswap) =>
        roomWires.has(wire)
          ? requestRun(wire, index, hotswap, original, isCritical(torrent, index))
          : original(wire, index, hotswap),
    )
    // A piece a stream waits for (the play head, a seek's target) is asked of every room wire at once.
    const waitedFor = new Set<number>()
    afterCritical(torrent, (from, to) => {
      const last = Math.min(to, pieceCount(torrent) - 1)
      for (let index = from; index <= last; index++) if (!torrent.bitfield?.get(index)) waitedFor.add(index)
      queueMicrotask(() => {
        if (torrent.destroyed) return
        for (const wire of torrent.wires) if (roomWires.has(wire)) requestBlocks(torrent, wire)
      })
    })
    // While no stream waits, a room wire with its budget full is not offered every piece of the film.
    skipUpdates(torrent, (wire) => waitedFor.size === 0 && roomWires.has(wire) && budgetFull(wire as RunWire))
    torrent.on('verified', (index: number) => {
      waitedFor.delete(index)
      // Benchmark traces: when each piece is verified, beside `torrent:critical` (torrent/internals.ts).
      trace('torrent:verified', { piece: index })
    })
    let headVerified = NONE_VERIFIED
    let resumed = NONE_VERIFIED
    const ready = new Promise<TorrentInfo>((resolve, reject) => {
      const onReady = () => {
        headVerified = countVerified(torrent, head)
        resumed = this.#localFiles.has(infoHash) ? NONE_VERIFIED : countResumed(torrent, head)
        const info = infoOf(torrent)
        this.#emit('ready', info)
        resolve(info)
      }
      const onError = (err: unknown) => {
        const error = toStreamError(err)
        this.#tracked.delete(infoHash)
        this.#emit('error', infoHash, error)
        reject(error)
      }
      const onInfoHash = () => this.#flushPeers(infoHash)
      const onWire = (wire: object) => {
        const conn = connectionOf(torrent, wire)
        if (!conn || !this.#roomConns.has(conn as WebRtcPeer)) return
        roomWires.add(wire)
        trustRoomWire(wire, torrent.ready, (w) => requestBlocks(torrent, w))
      }
      torrent.once('ready', onReady)
      torrent.once('error', onError)
      torrent.once('infoHash', onInfoHash)
      torrent.on('wire', onWire)
      detach = () => {
        torrent.removeListener('wire', onWire)
        torrent.removeListener('ready', onReady)
        torrent.removeListener('error', onError)
        torrent.removeListener('infoHash', onInfoHash)
        reject(new StreamError('destroyed'))
      }
      if (torrent.ready) onReady()
    })
    // Callers may drop the promise (the `ready`/`error` events carry the same news); never leave it unhandled.
    ready.catch(() => {})
    const tracked: Tracked = {
      torrent,
      addedAt: this.#now(),
      ready,
      fileIndex: null,
      headVerified: () => headVerified,
      resumed: () => resumed,
      detach: () => detach(),
    }
    this.#tracked.set(infoHash, tracked)
    this.#flushPeers(infoHash)
    return tracked
  }

  #flushPeers(infoHash: string): void {
    const torrent = this.#tracked.get(infoHash)?.torrent
    const peers = this.#pendingPeers.get(infoHash)
    // WebTorrent refuses peers until the torrent knows its info hash.
    if (!torrent?.infoHash || torrent.destroyed || !peers) return
    this.#pendingPeers.delete(infoHash)
    for (const peer of peers) {
      // A link closed before its torrent came (the selection moved on) is not a peer any more.
      if (peer.destroyed) continue
      // WebTorrent files a WebRTC peer under `peer.id`, which its trackers set and simple-peer lacks: without
      // one, every room connection would share the key `undefined` and each replace the last in its peer table.
      peer.id ??= `room-${++this.#peerSerial}`
      torrent.addPeer(peer)
    }
  }

  async #ensureServer(): Promise<void> {
    this.#server ??= registerWorker(this.#options.serviceWorkerUrl, this.#options.serviceWorkerScope).then(
      (controller) => {
        if (this.#destroyed) throw new StreamError('destroyed')
        this.#releaseRequests = claimStreamRequests(navigator.serviceWorker, this.#tab)
        return this.#client.createServer({ controller })
      },
    )
    try {
      await this.#server
    } catch (err) {
      this.#server = null // let a later call try again (the person may have fixed the page)
      throw toStreamError(err)
    }
  }

  #progressOf(infoHash: string, { torrent, addedAt, fileIndex }: Tracked): TorrentProgress {
    const file = fileIndex === null ? undefined : torrent.files[fileIndex]
    const downloaded = file ? file.downloaded : torrent.downloaded
    const length = file ? file.length : torrent.length || 0
    const sample = {
      ready: torrent.ready,
      downloaded,
      length,
      numPeers: torrent.numPeers,
      age: this.#now() - addedAt,
    }
    return {
      infoHash,
      status: torrentStatus(sample, this.#options.waitingForPeersMs),
      progress: fraction(downloaded, length),
      downloaded,
      length,
      uploaded: torrent.uploaded,
      received: torrent.received,
      downloadSpeed: torrent.downloadSpeed,
      uploadSpeed: torrent.uploadSpeed,
      numPeers: torrent.numPeers,
    }
  }

  #reportProgress(): void {
    if (this.#listeners.progress.size === 0) return
    for (const [infoHash, tracked] of this.#tracked) {
      if (!tracked.torrent.destroyed) this.#emit('progress', this.#progressOf(infoHash, tracked))
    }
  }

  #emit<K extends keyof TorrentClientEvents>(event: K, ...args: TorrentClientEvents[K]): void {
    for (const listener of [...(this.#listeners[event] as Set<Listener<K>>)]) {
      try {
        listener(...args)
      } catch (err) {
        console.error(`torrent-client: ${event} listener failed`, err) // a UI bug must not stop the torrent
      }
    }
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new StreamError('destroyed')
  }
}

/** A Web Worker hashing pieces of a dropped file (Vite bundles torrent/hash-worker.ts for it). */
function createHashWorker(): HashWorker {
  return new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' }) as HashWorker
}

function infoOf(torrent: Torrent): TorrentInfo {
  const files = torrent.files.map(({ name, path, length }) => ({ name, path, length }))
  return { infoHash: torrent.infoHash, magnet: torrent.magnetURI, name: torrent.name, files }
}

/**
 * Gives a torrent its store (docs/streaming.md, "Storage"): a torrent seeded from dropped files reads them
 * (torrent/file-store.ts); a downloaded one goes to disk with a few pieces in memory (torrent/piece-store.ts),
 * or all in memory where there is no disk store. Called right after `add`/`seed`: the store is made once the
 * metadata (and so the size) is in (torrent/internals.ts).
 */
function useStores(torrent: Torrent, pieces: PieceDb | null): void {
  chooseStore(torrent, (chunkLength, opts) => {
    const infoHash = opts.torrent?.infoHash
    if (pieces && infoHash) return new PieceStore(chunkLength, { ...opts, infoHash, db: pieces })
    return new MemoryStore(chunkLength, opts)
  })
}

export interface HeadVerified {
  pieces: number
  bytes: number
}

const NONE_VERIFIED: HeadVerified = { pieces: 0, bytes: 0 }

/** The head's pieces the torrent holds as verified (WebTorrent checked the store when it started). */
function countVerified(torrent: Torrent, head: Head | null): HeadVerified {
  if (!head) return NONE_VERIFIED
  let pieces = 0
  let bytes = 0
  for (const [index, chunk] of headChunks(head, torrent.pieceLength, torrent.length)) {
    if (!torrent.bitfield?.get(index)) continue
    pieces++
    bytes += chunk.length
  }
  return { pieces, bytes }
}

function pieceCount(torrent: Torrent): number {
  return Math.ceil(torrent.length / torrent.pieceLength)
}

/** The pieces verified when the torrent started, but the head's: those came from the store. */
function countResumed(torrent: Torrent, head: Head | null): HeadVerified {
  const fromHead = head ? headChunks(head, torrent.pieceLength, torrent.length) : new Map()
  let pieces = 0
  let bytes = 0
  const count = pieceCount(torrent)
  for (let index = 0; index < count; index++) {
    if (fromHead.has(index) || !torrent.bitfield?.get(index)) continue
    pieces++
    bytes += index === count - 1 ? torrent.length - index * torrent.pieceLength : torrent.pieceLength
  }
  return { pieces, bytes }
}

/** Fetch only the file being watched; other files of a big torrent would compete for bandwidth. */
function selectOnly(files: readonly WebTorrentFile[], chosen: WebTorrentFile): void {
  for (const f of files) if (f !== chosen) f.deselect()
  chosen.select()
}

/** Registers WebTorrent's worker and waits until it is active: createServer refuses it before. */
async function registerWorker(url: string, scope: string): Promise<ServiceWorkerRegistration> {
  if (!globalThis.isSecureContext || !('serviceWorker' in navigator))
    throw new StreamError('no-service-worker')
  const registration = await navigator.serviceWorker.register(url, { scope })
  const worker = registration.active ?? registration.waiting ?? registration.installing
  if (!worker) throw new StreamError('no-service-worker')
  if (worker.state !== 'activated') {
    await new Promise<void>((resolve, reject) => {
      const onChange = () => {
        if (worker.state !== 'activated' && worker.state !== 'redundant') return
        worker.removeEventListener('statechange', onChange)
        if (worker.state === 'activated') resolve()
        else reject(new StreamError('no-service-worker'))
      }
      worker.addEventListener('statechange', onChange)
    })
  }
  return registration
}

/** A torrent file's bytes for MSE: coalesced like the service worker's (torrent/coalesce.ts). */
function byteSource(file: WebTorrentFile, torrent: Torrent): ByteSource {
  const verified = (piece: number) => torrent.bitfield?.get(piece) === true
  return {
    length: file.length,
    has: (start, end) => {
      if (end <= start) return true
      const first = Math.floor((file.offset + start) / torrent.pieceLength)
      const last = Math.floor((file.offset + end - 1) / torrent.pieceLength)
      for (let piece = first; piece <= last; piece++) if (!verified(piece)) return false
      return true
    },
    read: (start, end = file.length - 1) =>
      coalesce(file[Symbol.asyncIterator]({ start, end }), {
        start: file.offset + start,
        end: file.offset + end,
        pieceLength: torrent.pieceLength,
        has: verified,
      }),
  }
}
