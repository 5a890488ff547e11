/**
 * The chunk store of a torrent seeded from this browser: its pieces are the dropped files' bytes, read from
 * them on demand (a `Blob` of the files, one after the other, is the torrent's bytes), so seeding a film
 * holds no more than a few pieces of it in memory and writes none of it to disk. `put` only checks the length: WebTorrent puts
 * the pieces it read from these same files while it loads the seed.
 *
 * Members ask for a film in order, a run of blocks at a time, with about a second's worth of requests out. A
 * read of a `File` takes tens of milliseconds, and up to a second on a busy page (docs/streaming.md,
 * "Throughput between members"), so a read started only when a request finds its piece missing holds every
 * request behind it. Each `get` therefore also starts the reads of the pieces after it (`PREFETCH_BYTES`),
 * and a member moving on through the film finds its next pieces read already.
 */
import { closed, later, notFound, wrongLength, type Callback } from './chunk-callbacks.ts'
import { ChunkCache } from './chunk-cache.ts'
import { pieceSize } from './head.ts'

/**
 * Whole pieces read lately or ahead: peers ask for a piece a block or a run at a time, and one file read
 * serves them all. Room for two members at different places in the film, each with its pieces read ahead.
 */
const FILE_CACHE_BYTES = 32 * 1024 * 1024
/**
 * How much one file read takes: the pieces from the one asked for on, at least this many bytes. A read of a
 * `File` costs milliseconds however small it is (and more on a busy page), and peers ask in order.
 */
const READ_AHEAD_BYTES = 2 * 1024 * 1024
/** How far past a piece asked for its following pieces are read (or being read), in reads of `READ_AHEAD_BYTES`. */
const PREFETCH_BYTES = 8 * 1024 * 1024

export class FileStore {
  readonly chunkLength: number
  readonly #length: number
  #bytes: Blob | null
  readonly #cache = new ChunkCache(FILE_CACHE_BYTES)
  readonly #reading = new Map<number, Promise<Uint8Array>>()

  /** `files`: the torrent's files in its own order, which `length` must be the sum of. */
  constructor(chunkLength: number, files: readonly Blob[], length: number) {
    this.chunkLength = Number(chunkLength)
    if (!(this.chunkLength > 0)) throw new Error('First argument must be a chunk length')
    // One file is the torrent's bytes as it is; several are joined (a Blob of Blobs copies nothing).
    this.#bytes = files.length === 1 ? files[0]! : new Blob([...files])
    this.#length = length
    if (this.#bytes.size !== length) throw new Error('The files are not the torrent')
  }

  put(index: number, chunk: Uint8Array, cb: Callback = () => {}): void {
    if (!this.#bytes) return later(cb, closed())
    const wrong = wrongLength(index, chunk, this.chunkLength, this.#length)
    if (wrong) return later(cb, wrong)
    later(cb, null)
  }

  get(
    index: number,
    options: { offset?: number; length?: number } | null | Callback<Uint8Array>,
    cb: Callback<Uint8Array> = () => {},
  ): void {
    if (typeof options === 'function') return this.get(index, null, options)
    const bytes = this.#bytes
    if (!bytes) return later(cb, closed())
    const size = pieceSize(index, this.chunkLength, this.#length)
    const offset = options?.offset ?? 0
    const length = options?.length ?? size - offset
    const start = index * this.chunkLength
    if (!(index >= 0) || offset < 0 || length < 0 || offset + length > size || start >= this.#length)
      return later(cb, notFound())
    const slice = (piece: Uint8Array) => piece.subarray(offset, offset + length)
    const cached = this.#cache.get(index)
    if (cached) later(cb, null, slice(cached))
    else
      (this.#reading.get(index) ?? this.#readAhead(bytes, index)).then(
        (piece) => cb(null, slice(piece)),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      )
    this.#prefetch(bytes, index)
  }

  /** Starts reading the pieces after `index`, up to `PREFETCH_BYTES`, that are neither cached nor being read. */
  #prefetch(bytes: Blob, index: number): void {
    const last = Math.ceil(this.#length / this.chunkLength) - 1
    const end = Math.min(last, index + Math.max(1, Math.floor(PREFETCH_BYTES / this.chunkLength)))
    for (let i = index + 1; i <= end; i++) {
      if (this.#held(i)) continue
      void this.#readAhead(bytes, i).catch(() => {
        // A failed read ahead is tried again when the piece is asked for.
      })
    }
  }

  /**
   * Reads piece `index` and those after it, up to `READ_AHEAD_BYTES` and the first one cached or being read
   * already, into the cache; resolves with `index`.
   */
  #readAhead(bytes: Blob, index: number): Promise<Uint8Array> {
    const last = Math.ceil(this.#length / this.chunkLength) - 1
    const count = Math.max(1, Math.floor(READ_AHEAD_BYTES / this.chunkLength))
    let end = index
    while (end < Math.min(last, index + count - 1) && !this.#held(end + 1)) end++
    const start = index * this.chunkLength
    const read = bytes
      .slice(start, Math.min(this.#length, (end + 1) * this.chunkLength))
      .arrayBuffer()
      .then((buffer) => new Uint8Array(buffer))
    const pieces = new Map<number, Promise<Uint8Array>>()
    for (let i = index; i <= end; i++) {
      const at = (i - index) * this.chunkLength
      // A copy: a view would keep the whole read alive for as long as any of its pieces is cached.
      pieces.set(
        i,
        read.then((all) => all.slice(at, at + pieceSize(i, this.chunkLength, this.#length))),
      )
    }
    for (const [i, piece] of pieces) {
      this.#reading.set(i, piece)
      piece.then(
        (chunk) => {
          if (this.#reading.get(i) === piece) this.#reading.delete(i)
          if (this.#bytes) this.#cache.set(i, chunk)
        },
        () => {
          if (this.#reading.get(i) === piece) this.#reading.delete(i)
        },
      )
    }
    return pieces.get(index)!
  }

  /** Whether piece `index` is cached or being read. */
  #held(index: number): boolean {
    return this.#cache.has(index) || this.#reading.has(index)
  }

  close(cb: Callback = () => {}): void {
    if (!this.#bytes) return later(cb, closed())
    this.#bytes = null
    this.#cache.clear()
    later(cb, null)
  }

  destroy(cb: Callback = () => {}): void {
    this.close(cb)
  }
}
