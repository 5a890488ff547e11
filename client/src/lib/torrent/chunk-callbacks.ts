/**
 * What every chunk store of ours (memory-store.ts, file-store.ts, piece-store.ts) answers through: the
 * abstract-chunk-store callback, always called asynchronously as WebTorrent expects, and the errors they
 * report: a missing chunk (`notFound`, which WebTorrent checks), a closed store, a chunk of the wrong size.
 */
import { pieceSize } from './head.ts'

export type Callback<T = void> = (err: Error | null, value?: T) => void

/** Calls `cb` on a later microtask, never from inside the store's own call. */
export function later<T>(cb: Callback<T>, err: Error | null, value?: T): void {
  queueMicrotask(() => cb(err, value))
}

export function notFound(): Error {
  return Object.assign(new Error('Chunk not found'), { notFound: true })
}

export function closed(): Error {
  return new Error('Storage is closed')
}

/** The error for a chunk `put` at `index` whose size is not that piece's; null when it fits. */
export function wrongLength(
  index: number,
  chunk: Uint8Array,
  chunkLength: number,
  length: number,
): Error | null {
  const expected = pieceSize(index, chunkLength, length)
  return chunk.length === expected ? null : new Error(`Chunk length must be ${expected}`)
}
