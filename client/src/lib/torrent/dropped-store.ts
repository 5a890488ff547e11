/**
 * The chunk store of a torrent seeded from dropped files (the abstract-chunk-store interface WebTorrent
 * uses): every piece is read from the files themselves when a member asks for it, so seeding a 1 GB film
 * costs no copy of it in memory or on disk. Its pieces were hashed from these same files
 * (torrent/piece-hash.ts); every member verifies each piece it gets against those hashes, so a file changed
 * on disk after the drop yields pieces that are refused, never played.
 */
type Callback<T = void> = (err: Error | null, value?: T) => void

export class DroppedStore {
  readonly chunkLength: number
  #blob: Blob | null

  /** `files` in the torrent's order: the torrent's bytes are theirs, one after the other. */
  constructor(chunkLength: number, files: readonly Blob[]) {
    this.chunkLength = chunkLength
    this.#blob = new Blob([...files])
  }

  put(_index: number, _chunk: Uint8Array, cb: Callback = () => {}): void {
    // Every piece is had from the start; WebTorrent never downloads into a complete torrent.
    queueMicrotask(() => cb(this.#blob ? null : new Error('Storage is closed')))
  }

  get(
    index: number,
    options: { offset?: number; length?: number } | null | Callback<Uint8Array>,
    cb: Callback<Uint8Array> = () => {},
  ): void {
    if (typeof options === 'function') return this.get(index, null, options)
    const blob = this.#blob
    if (!blob) return queueMicrotask(() => cb(new Error('Storage is closed')))
    const pieceStart = index * this.chunkLength
    const pieceEnd = Math.min(blob.size, pieceStart + this.chunkLength)
    const start = pieceStart + (options?.offset ?? 0)
    const end = Math.min(pieceEnd, start + (options?.length ?? pieceEnd - start))
    if (!(index >= 0) || start >= pieceEnd || end < start)
      return queueMicrotask(() => cb(Object.assign(new Error('Chunk not found'), { notFound: true })))
    blob
      .slice(start, end)
      .arrayBuffer()
      .then(
        (bytes) => cb(null, new Uint8Array(bytes)),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      )
  }

  close(cb: Callback = () => {}): void {
    this.#blob = null
    queueMicrotask(() => cb(null))
  }

  destroy(cb: Callback = () => {}): void {
    this.close(cb)
  }
}
