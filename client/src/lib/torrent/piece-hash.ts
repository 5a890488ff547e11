/**
 * SHA-1 of every piece of a dropped file, at the speed of the browser's fastest SHA-1 (torrent/sha1.ts:
 * WebCrypto, or a WebAssembly SHA-1 where that is faster) in Web Workers (torrent/hash-worker.ts), each
 * reading its pieces straight from the file (its stream, into one reused buffer). WebTorrent's own `seed`
 * hashes through a stream, one piece after another, at ~23 MB/s here, and then copies the whole file into the
 * torrent's store; this reads each byte once and keeps none of it (docs/streaming.md, "Sharing a dropped
 * file").
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
 * The file is read through its stream into one reused buffer of this size. Below ~1 MiB on purpose: Chromium's
 * larger buffers behave as freshly mapped ones, and touching fresh memory is what a read cost on the machine
 * of 2026-12-07 (3.5 ms a MiB in page faults): 16 MiB `Blob.slice` reads came in at 223 MB/s, 1 MiB ones at
 * 89 MB/s, the stream's own 1–2 MiB chunks at 229 MB/s, and this buffer at 972 MB/s (docs/benchmarks.md,
 * "This machine's fresh memory").
 */
export const CHUNK_BYTES = 512 * 1024
/** About this many bytes of pieces per batch handed to a worker. */
const BATCH_BYTES = 64 * 1024 * 1024
/**
 * Batches a worker holds at once. One: a second batch would put more reads in the queue a member's range
 * reads wait in, for no gain measured here (docs/streaming.md, "Hashing speed").
 */
const BATCHES_PER_WORKER = 1
/** Digests under way at once: WebCrypto's queue of copies is bounded by this; a WebAssembly one is done at once. */
const DIGESTS_IN_FLIGHT = 4

/** How many pieces a torrent of `length` bytes has. */
export function pieceCount(length: number, pieceLength: number): number {
  return Math.ceil(length / pieceLength)
}

/**
 * The readers `readChunks` is reading. Chromium (150) may collect a `Blob`'s stream while a BYOB read on it
 * is pending, when nothing but that read refers to the stream, and the read then never settles: eight
 * concurrent reads of 1 MiB slices stalled within a minute, every time, and never once their readers were
 * held here (docs/streaming.md, "Fresh memory on the streaming paths").
 */
const reading = new Set<ReadableStreamReader<Uint8Array>>()

/** How many readers `readChunks` holds now (a test's view of `reading`). */
export function readersHeld(): number {
  return reading.size
}

/**
 * The bytes of `stream` in order, each view valid only until the next is asked for: read into one reused
 * buffer of `chunkBytes` (a BYOB reader) where the stream is a byte stream, as a `Blob`'s is in Chromium and
 * Firefox, else in the stream's own chunks. Each read starts only once `mayRead` resolves. Leaving early
 * cancels the stream. The reader is held (`reading`) until the stream ends.
 */
export async function* readChunks(
  stream: ReadableStream<Uint8Array>,
  chunkBytes: number,
  mayRead: () => Promise<void> = () => Promise.resolve(),
): AsyncGenerator<Uint8Array, void, undefined> {
  const byob = byobReader(stream)
  const reader = byob ?? stream.getReader()
  reading.add(reader)
  let buffer = new ArrayBuffer(chunkBytes)
  let done = false
  try {
    for (;;) {
      await mayRead()
      const result = byob
        ? await byob.read(new Uint8Array(buffer))
        : await (reader as ReadableStreamDefaultReader<Uint8Array>).read()
      if (result.done || !result.value) {
        done = true
        return
      }
      if (byob) buffer = result.value.buffer as ArrayBuffer
      yield result.value
    }
  } finally {
    reading.delete(reader)
    if (!done) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}

function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return stream.getReader({ mode: 'byob' })
  } catch {
    return null // not a byte stream
  }
}

/**
 * The SHA-1s of pieces [first, end) of `blob`, concatenated. The range is read through the blob's stream
 * (`readChunks`), each piece gathered in one reused buffer and handed to `sha1`, which takes its copy before
 * it returns (torrent/sha1.ts); up to `DIGESTS_IN_FLIGHT` digests run while the reading goes on. Each read
 * starts only once `mayRead` resolves: a member's read of the same file goes first (torrent/read-priority.ts).
 */
export async function hashPieceRange(
  blob: Blob,
  pieceLength: number,
  first: number,
  end: number,
  {
    chunkBytes = CHUNK_BYTES,
    mayRead = () => Promise.resolve(),
    sha1 = webCryptoSha1,
  }: { chunkBytes?: number; mayRead?: () => Promise<void>; sha1?: Sha1 } = {},
): Promise<Uint8Array> {
  const out = new Uint8Array((end - first) * HASH_BYTES)
  const start = first * pieceLength
  const stop = Math.min(blob.size, end * pieceLength)
  const piece = new Uint8Array(Math.min(pieceLength, stop - start))
  const pending = new Set<Promise<void>>()
  let index = first
  let filled = 0
  const want = () => Math.min(pieceLength, stop - index * pieceLength)
  await mayRead() // a blob's stream starts reading as it is made
  for await (const chunk of readChunks(blob.slice(start, stop).stream(), chunkBytes, mayRead)) {
    for (let at = 0; at < chunk.length;) {
      if (index >= end) throw new Error('the file is longer than its pieces')
      const take = Math.min(chunk.length - at, want() - filled)
      piece.set(chunk.subarray(at, at + take), filled)
      filled += take
      at += take
      if (filled < want()) continue
      const slot = (index - first) * HASH_BYTES
      const digest: Promise<void> = sha1(piece.subarray(0, filled)).then((bytes) => {
        out.set(bytes, slot)
        pending.delete(digest)
      })
      pending.add(digest)
      index++
      filled = 0
      if (pending.size >= DIGESTS_IN_FLIGHT) await Promise.race(pending)
    }
  }
  await Promise.all(pending)
  if (index < end) throw new Error('the file ended before its last piece')
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
