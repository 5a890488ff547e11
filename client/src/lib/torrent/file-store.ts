/**
 * The chunk store of a torrent seeded from this browser: its pieces are the dropped files' bytes, read from
 * them on demand (a `Blob` of the files, one after the other, is the torrent's bytes), so seeding a film
 * holds no more than a few pieces of it in memory and writes none of it to disk. `put` only checks the length: WebTorrent puts
 * the pieces it read from these same files while it loads the seed.
 */
import { closed, later, notFound, wrongLength, type Callback } from './chunk-callbacks.ts'
import { ChunkCache } from './chunk-cache.ts'
import { pieceSize } from './head.ts'

/** Whole pieces read lately: peers ask for a piece 16 KiB at a time, and one file read serves them all. */
const FILE_CACHE_BYTES = 16 * 1024 * 1024
/**
 * How much one file read takes: the pieces from the one asked for on, at least this many bytes. A read of a
 * `File` costs milliseconds however small it is (and more on a busy page), and peers ask in order.
 */
const READ_AHEAD_BYTES = 2 * 1024 * 1024

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
    this.#bytes = new Blob([...files])
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
    if (cached) return later(cb, null, slice(cached))
    const reading = this.#reading.get(index) ?? this.#readAhead(bytes, index)
    reading.then(
      (piece) => cb(null, slice(piece)),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    )
  }

  /** Reads piece `index` and those after it, up to `READ_AHEAD_BYTES`, into the cache; resolves with `index`. */
  #readAhead(bytes: Blob, index: number): Promise<Uint8Array> {
    const last = Math.ceil(this.#length / this.chunkLength) - 1
    const count = Math.max(1, Math.floor(READ_AHEAD_BYTES / this.chunkLength))
    const end = Math.min(last, index + count - 1)
    const start = index * this.chunkLength
    const read = bytes
      .slice(start, Math.min(this.#length, (end + 1) * this.chunkLength))
      .arrayBuffer()
      .then((buffer) => new Uint8Array(buffer))
    const pieces = new Map<number, Promise<Uint8Array>>()
    for (let i = index; i <= end; i++) {
      const at = (i - index) * this.chunkLength
      // A copy: a view would keep the whole read alive for as long as any of its pieces is cached.
      const piece = read.then((all) => all.slice(at, at + pieceSize(i, this.chunkLength, this.#length)))
      if (i === index || (!this.#reading.has(i) && !this.#cache.has(i))) pieces.set(i, piece)
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
