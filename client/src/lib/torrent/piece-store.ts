/**
 * A torrent's pieces on disk (IndexedDB, torrent/piece-db.ts) with a few in memory: the chunk store
 * (abstract-chunk-store, as WebTorrent calls it) for every torrent this tab downloads, so a film costs a
 * bounded amount of RAM and a reload resumes from the pieces already here. WebTorrent reads every piece a
 * new store holds and checks it against its SHA-1 before the torrent is ready, so stored pieces count only
 * if they are still true.
 *
 * - `put` keeps the piece in the memory cache (torrent/chunk-cache.ts) and writes it behind, in batches: the
 *   callback comes at once while less than `maxPendingBytes` waits to be written, after the write otherwise,
 *   so a fast download never holds more than that on top of the cache.
 * - `get` answers from the pieces waiting to be written, the cache, or disk.
 * - A head (torrent/head.ts) is held in memory only: a member sent it and WebTorrent has not checked it yet,
 *   so it never reaches the disk other tabs read; a downloaded piece replaces it.
 * - `close` writes what waits and lets go of the torrent; `destroy` also deletes its pieces, unless another
 *   tab of this browser holds the same torrent (pieces are checked before they are stored, so tabs share
 *   them safely).
 */
import { closed, later, notFound, wrongLength, type Callback } from './chunk-callbacks.ts'
import { ChunkCache } from './chunk-cache.ts'
import { headChunks, pieceSize } from './head.ts'
import type { StoreOptions } from './memory-store.ts'

/** What the store needs of the disk; torrent/piece-db.ts on IndexedDB, a map in unit tests. */
export interface PieceDb {
  /** Holds the torrent for this tab (until `release`) and lists the pieces stored for it. */
  open(infoHash: string): Promise<OpenedTorrent>
  read(infoHash: string, index: number): Promise<Uint8Array | undefined>
  /** Writes pieces in one go; rejects when storage is full even after deleting what policy allows. */
  write(infoHash: string, pieces: ReadonlyMap<number, Uint8Array>): Promise<void>
  /** Deletes the torrent's pieces unless a tab holds it; true when it did. */
  reclaim(infoHash: string): Promise<boolean>
  /** Gets the disk ready ahead of the first `open` (torrent/piece-db.ts); never rejects. */
  warm?(): Promise<void>
}

export interface OpenedTorrent {
  stored: ReadonlySet<number>
  /** Lets go of the torrent; resolves once another tab could delete it. */
  release(): Promise<void>
}

/** 32 MiB of pieces in memory, and at most 16 MiB waiting to be written. */
export const CACHE_BYTES = 32 * 1024 * 1024
export const MAX_PENDING_BYTES = 16 * 1024 * 1024

export interface PieceStoreOptions extends StoreOptions {
  infoHash: string
  db: PieceDb
  cacheBytes?: number
  maxPendingBytes?: number
}

export class PieceStore {
  readonly chunkLength: number
  readonly #length: number
  readonly #infoHash: string
  readonly #db: PieceDb
  readonly #cache: ChunkCache
  readonly #maxPending: number
  readonly #opened: Promise<OpenedTorrent | null>
  #stored = new Set<number>()
  /** A head's pieces, unchecked: memory only. */
  readonly #unchecked = new Map<number, Uint8Array>()
  /** Pieces put but not yet on disk. */
  readonly #pending = new Map<number, Uint8Array>()
  #pendingBytes = 0
  /** Callbacks of puts that wait for the disk (more than `maxPendingBytes` waiting). */
  #waiting: Callback[] = []
  #writing: Promise<void> | null = null
  #failure: Error | null = null
  #closed = false

  constructor(chunkLength: number, options: PieceStoreOptions) {
    this.chunkLength = Number(chunkLength)
    if (!(this.chunkLength > 0)) throw new Error('First argument must be a chunk length')
    this.#length = Number(options.length) || Infinity
    this.#infoHash = options.infoHash
    this.#db = options.db
    this.#cache = new ChunkCache(options.cacheBytes ?? CACHE_BYTES)
    this.#maxPending = options.maxPendingBytes ?? MAX_PENDING_BYTES
    if (options.preload)
      for (const [index, chunk] of headChunks(options.preload, this.chunkLength, this.#length))
        this.#unchecked.set(index, chunk)
    this.#opened = options.db.open(this.#infoHash).then(
      (opened) => {
        if (this.#closed) void opened.release()
        else this.#stored = new Set(opened.stored)
        return opened
      },
      (err: unknown) => {
        // Without the disk the store still works from memory, as far as the cache reaches.
        console.warn(`piece-store: storage unavailable for ${this.#infoHash}:`, err)
        return null
      },
    )
  }

  /** At most this many bytes of pieces are held in memory: the cache and the pieces waiting to be written. */
  get memoryBytes(): number {
    return this.#cache.bytes + this.#pendingBytes
  }

  put(index: number, chunk: Uint8Array, cb: Callback = () => {}): void {
    if (this.#closed) return later(cb, closed())
    if (this.#failure) return later(cb, this.#failure)
    const wrong = wrongLength(index, chunk, this.chunkLength, this.#length)
    if (wrong) return later(cb, wrong)
    this.#unchecked.delete(index)
    this.#cache.set(index, chunk)
    const before = this.#pending.get(index)
    this.#pending.set(index, chunk)
    this.#pendingBytes += chunk.length - (before?.length ?? 0)
    if (this.#pendingBytes <= this.#maxPending) later(cb, null)
    else this.#waiting.push(cb)
    this.#scheduleWrite()
  }

  get(
    index: number,
    options: { offset?: number; length?: number } | null | Callback<Uint8Array>,
    cb: Callback<Uint8Array> = () => {},
  ): void {
    if (typeof options === 'function') return this.get(index, null, options)
    if (this.#closed) return later(cb, closed())
    const slice = (chunk: Uint8Array) => {
      const offset = options?.offset ?? 0
      const length = options?.length ?? chunk.length - offset
      return offset === 0 && length === chunk.length ? chunk : chunk.subarray(offset, offset + length)
    }
    const held = this.#unchecked.get(index) ?? this.#pending.get(index) ?? this.#cache.get(index)
    if (held) return later(cb, null, slice(held))
    void this.#read(index).then(
      (chunk) => cb(null, slice(chunk)),
      (err: Error) => cb(err),
    )
  }

  close(cb: Callback = () => {}): void {
    if (this.#closed) return later(cb, closed())
    void this.#flush().finally(() => {
      this.#shut()
      void this.#opened.then(async (opened) => {
        await opened?.release()
        cb(null)
      })
    })
  }

  destroy(cb: Callback = () => {}): void {
    if (this.#closed) return later(cb, closed())
    this.#pending.clear()
    this.#pendingBytes = 0
    const writing = this.#writing ?? Promise.resolve()
    this.#shut()
    void writing
      .then(() => this.#opened)
      .then(async (opened) => {
        if (!opened) return
        await opened.release()
        await this.#db.reclaim(this.#infoHash)
      })
      .then(
        () => cb(null),
        (err: unknown) => {
          console.warn(`piece-store: could not delete the pieces of ${this.#infoHash}:`, err)
          cb(null)
        },
      )
  }

  async #read(index: number): Promise<Uint8Array> {
    const opened = await this.#opened
    if (this.#closed) throw closed()
    const again = this.#pending.get(index) ?? this.#cache.get(index)
    if (again) return again
    if (!opened || !this.#stored.has(index)) throw notFound()
    const chunk = await this.#db.read(this.#infoHash, index)
    if (this.#closed) throw closed()
    if (!chunk || chunk.length !== pieceSize(index, this.chunkLength, this.#length)) throw notFound()
    this.#cache.set(index, chunk)
    return chunk
  }

  #scheduleWrite(): void {
    if (this.#writing || this.#pending.size === 0) return
    this.#writing = this.#writeBatch().finally(() => {
      this.#writing = null
      if (!this.#closed && !this.#failure) this.#scheduleWrite()
    })
  }

  /** Writes what waits now as one batch; puts that waited for room are answered once it is written. */
  async #writeBatch(): Promise<void> {
    const opened = await this.#opened
    const batch = new Map(this.#pending)
    try {
      if (!opened) throw new Error('Storage unavailable')
      await this.#db.write(this.#infoHash, batch)
      for (const index of batch.keys()) this.#stored.add(index)
    } catch (err) {
      this.#failure = err instanceof Error ? err : new Error(String(err))
    }
    for (const [index, chunk] of batch) {
      if (this.#pending.get(index) !== chunk) continue
      this.#pending.delete(index)
      this.#pendingBytes -= chunk.length
    }
    if (this.#pendingBytes <= this.#maxPending || this.#failure) {
      for (const cb of this.#waiting.splice(0)) cb(this.#failure)
    }
  }

  async #flush(): Promise<void> {
    while (this.#writing) await this.#writing
  }

  #shut(): void {
    this.#closed = true
    this.#cache.clear()
    this.#unchecked.clear()
    for (const cb of this.#waiting.splice(0)) later(cb, closed())
  }
}
