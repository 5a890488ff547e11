/**
 * The pieces a tab keeps in memory while the rest live on disk (torrent/piece-store.ts): the most recently
 * written or read, up to a byte budget. A stream reads a piece soon after it arrives and then moves on, so a
 * few pieces' worth serve the player from memory and a film of any size costs the same RAM.
 */
export class ChunkCache {
  readonly maxBytes: number
  /** Map order is use order: the first entry is the least recently used. */
  readonly #chunks = new Map<number, Uint8Array>()
  #bytes = 0

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, maxBytes)
  }

  get bytes(): number {
    return this.#bytes
  }

  get size(): number {
    return this.#chunks.size
  }

  get(index: number): Uint8Array | undefined {
    const chunk = this.#chunks.get(index)
    if (!chunk) return undefined
    this.#chunks.delete(index)
    this.#chunks.set(index, chunk)
    return chunk
  }

  /** Whether the chunk is here (its place in the use order unchanged). */
  has(index: number): boolean {
    return this.#chunks.has(index)
  }

  /** Keeps `chunk` as the most recent; older ones go until the budget holds (one chunk always fits). */
  set(index: number, chunk: Uint8Array): void {
    this.delete(index)
    this.#chunks.set(index, chunk)
    this.#bytes += chunk.length
    for (const [oldest, old] of this.#chunks) {
      if (this.#bytes <= this.maxBytes || oldest === index) break
      this.#chunks.delete(oldest)
      this.#bytes -= old.length
    }
  }

  delete(index: number): void {
    const chunk = this.#chunks.get(index)
    if (!chunk) return
    this.#chunks.delete(index)
    this.#bytes -= chunk.length
  }

  clear(): void {
    this.#chunks.clear()
    this.#bytes = 0
  }
}
