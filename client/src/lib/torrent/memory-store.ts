/**
 * An in-memory chunk store for WebTorrent (the abstract-chunk-store interface): every piece in page memory.
 * Used where the browser has no disk store for pieces (torrent/piece-store.ts, torrent/client.ts) and in tests.
 */
import { closed, later, notFound, wrongLength, type Callback } from './chunk-callbacks.ts'
import { headChunks, type Head } from './head.ts'

export interface StoreOptions {
  length?: number
  /**
   * Pieces to hold from the start (torrent/head.ts): WebTorrent checks every piece in a new store against its hash
   * before the torrent is ready, so these count only if they are true.
   */
  preload?: Head
  /** What WebTorrent passes besides: the torrent's files (in its order, with their place in it) and itself. */
  files?: readonly { name: string; path: string; length: number }[]
  torrent?: { infoHash?: string }
}

export class MemoryStore {
  readonly chunkLength: number
  readonly #length: number
  #chunks: (Uint8Array | undefined)[] | null = []

  constructor(chunkLength: number, options: StoreOptions = {}) {
    this.chunkLength = Number(chunkLength)
    if (!(this.chunkLength > 0)) throw new Error('First argument must be a chunk length')
    this.#length = Number(options.length) || Infinity
    const chunks = this.#chunks
    if (options.preload && chunks) {
      for (const [index, chunk] of headChunks(options.preload, this.chunkLength, this.#length))
        chunks[index] = chunk
    }
  }

  put(index: number, chunk: Uint8Array, cb: Callback = () => {}): void {
    const chunks = this.#chunks
    if (!chunks) return later(cb, closed())
    const wrong = wrongLength(index, chunk, this.chunkLength, this.#length)
    if (wrong) return later(cb, wrong)
    chunks[index] = chunk
    later(cb, null)
  }

  get(
    index: number,
    options: { offset?: number; length?: number } | null | Callback<Uint8Array>,
    cb: Callback<Uint8Array> = () => {},
  ): void {
    if (typeof options === 'function') return this.get(index, null, options)
    const chunks = this.#chunks
    if (!chunks) return later(cb, closed())
    const chunk = chunks[index]
    if (!chunk) return later(cb, notFound())
    const offset = options?.offset ?? 0
    const length = options?.length ?? chunk.length - offset
    const part = offset === 0 && length === chunk.length ? chunk : chunk.subarray(offset, offset + length)
    later(cb, null, part)
  }

  close(cb: Callback = () => {}): void {
    if (!this.#chunks) return later(cb, closed())
    this.#chunks = null
    later(cb, null)
  }

  destroy(cb: Callback = () => {}): void {
    this.close(cb)
  }
}
