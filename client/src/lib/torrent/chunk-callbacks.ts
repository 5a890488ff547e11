/**
 * What every chunk store of ours (memory-store.ts, file-store.ts, piece-store.ts) answers through: the
 * abstract-chunk-store callback, always called asynchronously as WebTorrent expects, and the error a
 * missing chunk is reported with (`notFound`, which WebTorrent checks).
 */
export type Callback<T = void> = (err: Error | null, value?: T) => void

/** Calls `cb` on a later microtask, never from inside the store's own call. */
export function later<T>(cb: Callback<T>, err: Error | null, value?: T): void {
  queueMicrotask(() => cb(err, value))
}

export function notFound(): Error {
  return Object.assign(new Error('Chunk not found'), { notFound: true })
}
