/**
 * SHA-1 of every piece of a dropped file, at the speed of the browser's fastest SHA-1 (torrent/sha1.ts:
 * WebCrypto, or a WebAssembly SHA-1 where that is faster) in Web Workers (torrent/hash-worker.ts), each
 * reading its pieces straight from the file (`Blob.slice`, in large reads, the next in flight while the last
 * is digested). WebTorrent's own `seed` hashes through a stream, one piece
 * after another, at ~23 MB/s here, and then copies the whole file into the torrent's store; this reads each
 * byte once and keeps none of it (docs/streaming.md, "Sharing a dropped file").
 *
 * The work is handed out in batches of pieces to whichever worker is free, so a worker slowed by the rest of
 * the machine does not hold the others up. Without Worker support (unit tests in Node), the same code runs
 * here.
 */

import type { ReadPriority } from './read-priority.ts'
import { webCryptoSha1, type Sha1, type Sha1Report } from './sha1.ts'

/** SHA-1 is 20 bytes. */
export const HASH_BYTES = 20
/**
 * The file is read this much at a time (whole pieces, at least one). Chromium reads a `File` through its
 * browser process, with a cost per read: measured here, 1 MiB slices came in at ~30 MB/s, 64 MiB ones at
 * ~110 MB/s on the same loaded machine, and `stream()` at ~100 MB/s.
 */
export const READ_BYTES = 16 * 1024 * 1024
/** About this many bytes of pieces per batch handed to a worker. */
const BATCH_BYTES = 64 * 1024 * 1024
/**
 * Batches a worker holds at once. One: a second batch would put more 16 MiB reads in the queue a member's
 * range reads wait in, for no gain measured here (docs/streaming.md, "Hashing speed").
 */
const BATCHES_PER_WORKER = 1

/** How many pieces a torrent of `length` bytes has. */
export function pieceCount(length: number, pieceLength: number): number {
  return Math.ceil(length / pieceLength)
}

/**
 * Slices read ahead of the one being digested, so the file's reads and SHA-1 overlap. One: a member's read of
 * the file over the range protocol (torrent/range-server.ts) waits behind every hashing read in flight.
 */
export const READS_AHEAD = 1

/**
 * The SHA-1s of pieces [first, end) of `blob`, concatenated. The range is read in large slices, up to
 * `READS_AHEAD` of them in flight while the pieces of the last are digested, all of them at once (WebCrypto
 * digests off the calling thread; the WebAssembly SHA-1 on it); each slice is dropped once its digests are
 * in. Each read starts only once `mayRead` resolves: a member's read of the same file goes first
 * (torrent/read-priority.ts).
 */
export async function hashPieceRange(
  blob: Blob,
  pieceLength: number,
  first: number,
  end: number,
  {
    readBytes = READ_BYTES,
    mayRead = () => Promise.resolve(),
    sha1 = webCryptoSha1,
  }: { readBytes?: number; mayRead?: () => Promise<void>; sha1?: Sha1 } = {},
): Promise<Uint8Array> {
  const out = new Uint8Array((end - first) * HASH_BYTES)
  const perRead = Math.max(1, Math.floor(readBytes / pieceLength))
  const read = async (from: number) => {
    await mayRead()
    const start = from * pieceLength
    const stop = Math.min(blob.size, Math.min(end, from + perRead) * pieceLength)
    return blob.slice(start, stop).arrayBuffer()
  }
  const reads: Promise<ArrayBuffer>[] = []
  let nextRead = first
  const readAhead = () => {
    while (reads.length < READS_AHEAD && nextRead < end) {
      const next = read(nextRead)
      next.catch(() => {}) // a failed read is reported when its turn comes; the loop may have left by then
      reads.push(next)
      nextRead += perRead
    }
  }
  readAhead()
  for (let from = first; from < end; from += perRead) {
    const bytes = new Uint8Array(await (reads.shift() as Promise<ArrayBuffer>))
    readAhead()
    const digests: Promise<void>[] = []
    for (let at = 0, index = from; at < bytes.length; at += pieceLength, index++) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + pieceLength))
      digests.push(
        sha1(piece).then((digest) => {
          out.set(digest, (index - first) * HASH_BYTES)
        }),
      )
    }
    await Promise.all(digests)
  }
  return out
}

/** One batch of work for a hashing worker, and its answer. */
export interface HashRequest {
  id: number
  blob: Blob
  pieceLength: number
  first: number
  end: number
}

/** `sha1`: which SHA-1 the worker chose, and what it measured of each (torrent/sha1.ts). */
export type HashAnswer = { id: number; hashes: Uint8Array; sha1: Sha1Report } | { id: number; error: string }

/** Tells a hashing worker to start no new read (`paused`) until told otherwise: a member reads the file. */
export interface HashPause {
  paused: boolean
}

/** What a hashing worker looks like from here (a Web Worker running torrent/hash-worker.ts). */
export interface HashWorker {
  postMessage(message: HashRequest | HashPause): void
  onmessage: ((event: MessageEvent<HashAnswer>) => void) | null
  onerror: ((event: ErrorEvent) => void) | null
  terminate(): void
}

export interface HashOptions {
  /** Makes one worker; none (or `workers: 0`) hashes in this thread. */
  createWorker?: () => HashWorker
  workers?: number
  /** Called with the bytes hashed so far (for a progress line). */
  onProgress?: (bytes: number) => void
  /** Called once per worker with the SHA-1 it chose (for the trace and the benchmark). */
  onSha1?: (report: Sha1Report) => void
  /** About how many bytes one batch holds (whole pieces, at least one). */
  batchBytes?: number
  /** Reads that go first: while it is urgent, hashing starts no new read (torrent/read-priority.ts). */
  priority?: ReadPriority
}

/** The SHA-1 of every piece of `blob`, concatenated (the `pieces` of a torrent's info dictionary). */
export async function hashPieces(
  blob: Blob,
  pieceLength: number,
  { createWorker, workers = 2, onProgress, onSha1, batchBytes = BATCH_BYTES, priority }: HashOptions = {},
): Promise<Uint8Array> {
  const count = pieceCount(blob.size, pieceLength)
  const out = new Uint8Array(count * HASH_BYTES)
  const batch = Math.max(1, Math.floor(batchBytes / pieceLength))
  let next = 0
  let done = 0
  const take = (): [number, number] | null => {
    if (next >= count) return null
    const range: [number, number] = [next, Math.min(count, next + batch)]
    next = range[1]
    return range
  }
  const finished = (first: number, hashes: Uint8Array) => {
    out.set(hashes, first * HASH_BYTES)
    done += Math.min(blob.size, (first + hashes.length / HASH_BYTES) * pieceLength) - first * pieceLength
    onProgress?.(done)
  }
  if (!createWorker || workers <= 0) {
    const mayRead = () => priority?.idle() ?? Promise.resolve()
    for (let range = take(); range; range = take()) {
      finished(range[0], await hashPieceRange(blob, pieceLength, range[0], range[1], { mayRead }))
    }
    return out
  }
  const pool = Array.from({ length: Math.min(workers, Math.max(1, Math.ceil(count / batch))) }, createWorker)
  const pause = (paused: boolean) => {
    for (const worker of pool) worker.postMessage({ paused })
  }
  if (priority?.urgent) pause(true)
  const stopListening = priority?.onChange(pause)
  try {
    await Promise.all(pool.map((worker) => drain(worker, blob, pieceLength, take, finished, onSha1)))
  } finally {
    stopListening?.()
    for (const worker of pool) worker.terminate()
  }
  return out
}

/**
 * Feeds one worker batches until none are left, `BATCHES_PER_WORKER` at a time: while it finishes one, the
 * reads of the next are already under way (a worker idles between batches otherwise).
 */
function drain(
  worker: HashWorker,
  blob: Blob,
  pieceLength: number,
  take: () => [number, number] | null,
  finished: (first: number, hashes: Uint8Array) => void,
  onSha1?: (report: Sha1Report) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let id = 0
    let told = false
    const running = new Map<number, number>()
    const send = () => {
      const range = take()
      if (!range) {
        if (running.size === 0) resolve()
        return
      }
      running.set(++id, range[0])
      worker.postMessage({ id, blob, pieceLength, first: range[0], end: range[1] })
    }
    worker.onmessage = ({ data }) => {
      const first = running.get(data.id)
      if (first === undefined) return
      running.delete(data.id)
      if ('error' in data) return reject(new Error(`hashing failed: ${data.error}`))
      if (!told) onSha1?.(data.sha1)
      told = true
      finished(first, data.hashes)
      send()
    }
    worker.onerror = (event) => reject(new Error(`hashing failed: ${event.message}`))
    for (let i = 0; i < BATCHES_PER_WORKER; i++) send()
  })
}
