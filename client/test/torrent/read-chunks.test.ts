/** Reading a dropped file through its stream into one reused buffer (torrent/piece-hash.ts, `readChunks`). */
import { describe, expect, it } from 'vitest'
import { hashPieceRange, readChunks, readersHeld } from '../../src/lib/torrent/piece-hash.ts'
import { webCryptoSha1 } from '../../src/lib/torrent/sha1.ts'

const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + (i >> 8)) % 251)

/** A byte stream of `data` in pulls of at most `pull` bytes, counting the pulls. */
function byteStream(data: Uint8Array, pull = data.length) {
  let at = 0
  const seen = { pulls: 0, cancelled: false }
  const source: UnderlyingByteSource = {
    type: 'bytes',
    pull(controller) {
      seen.pulls++
      const view = controller.byobRequest?.view
      if (at >= data.length) {
        controller.close()
        controller.byobRequest?.respond(0)
        return
      }
      if (view) {
        const n = Math.min(view.byteLength, pull, data.length - at)
        new Uint8Array(view.buffer, view.byteOffset, n).set(data.subarray(at, at + n))
        at += n
        controller.byobRequest?.respond(n)
      } else {
        controller.enqueue(data.slice(at, at + pull))
        at += pull
      }
    },
    cancel() {
      seen.cancelled = true
    },
  }
  const stream: ReadableStream<Uint8Array> = new ReadableStream(source)
  return { stream, seen }
}

/** A default (not byte) stream of `data` in chunks of `size`. */
function chunkStream(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) return controller.close()
      controller.enqueue(data.slice(at, at + size))
      at += size
    },
  })
}

async function collect(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ all: Uint8Array; buffers: Set<ArrayBufferLike> }> {
  const parts: number[] = []
  const buffers = new Set<ArrayBufferLike>()
  for await (const chunk of chunks) {
    parts.push(...chunk)
    buffers.add(chunk.buffer)
  }
  return { all: Uint8Array.from(parts), buffers }
}

describe('reading a file in chunks', () => {
  it('a byte stream fills one reused buffer, chunk after chunk, never more than it holds', async () => {
    const data = bytes(10_000)
    const { stream } = byteStream(data, 1500)
    const sizes: number[] = []
    const held: number[] = []
    const buffers: ArrayBufferLike[] = []
    for await (const chunk of readChunks(stream, 1024)) {
      sizes.push(chunk.length)
      held.push(chunk.buffer.byteLength)
      buffers.push(chunk.buffer)
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000)
    expect(sizes.every((n) => n <= 1024)).toBe(true)
    expect(held.every((n) => n === 1024)).toBe(true)
    // Each read takes the buffer the last one filled (it is detached then): one allocation's memory throughout.
    expect(buffers.slice(0, -1).every((buffer) => buffer.byteLength === 0)).toBe(true)
  })

  it('gives every byte in order, from a byte stream and from a stream of its own chunks', async () => {
    const data = bytes(9_999)
    expect((await collect(readChunks(byteStream(data, 700).stream, 1024))).all).toEqual(data)
    expect((await collect(readChunks(chunkStream(data, 3000), 1024))).all).toEqual(data)
  })

  it("a Blob's own stream", async () => {
    const data = bytes(70_000)
    expect((await collect(readChunks(new Blob([data]).stream(), 16_384))).all).toEqual(data)
  })

  it('asks before every read, and reads nothing while the answer waits', async () => {
    const { stream, seen } = byteStream(bytes(4096), 1024)
    let open: () => void = () => {}
    let asked = 0
    const gate = () => {
      asked++
      return asked === 2 ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve()
    }
    const chunks = readChunks(stream, 1024, gate)
    await chunks.next()
    const second = chunks.next()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(asked).toBe(2)
    const pullsWhileHeld = seen.pulls
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen.pulls).toBe(pullsWhileHeld)
    open()
    expect((await second).done).toBe(false)
    await chunks.return()
  })

  it('holds its reader while it reads (a pending read is not left to the garbage collector), then lets go', async () => {
    const { stream } = byteStream(bytes(4096), 1024)
    const { stream: other } = byteStream(bytes(10_000), 1000)
    const chunks = readChunks(stream, 1024)
    await chunks.next()
    expect(readersHeld()).toBe(1)
    for await (const chunk of readChunks(other, 1000)) if (chunk.length > 0) break // left early
    expect(readersHeld()).toBe(1)
    for (let next = await chunks.next(); !next.done; next = await chunks.next());
    expect(readersHeld()).toBe(0)
  })

  it('leaving early cancels the stream', async () => {
    const { stream, seen } = byteStream(bytes(10_000), 1000)
    for await (const chunk of readChunks(stream, 1000)) if (chunk.length > 0) break
    expect(seen.cancelled).toBe(true)
  })

  it("hashes a range whose bytes come in a default stream's chunks", async () => {
    const data = bytes(5 * 1000 + 17)
    const blob = new Blob([data])
    const viaChunks = {
      size: blob.size,
      slice: (start: number, end: number) => ({ stream: () => chunkStream(data.slice(start, end), 333) }),
    } as unknown as Blob
    const expected = await hashPieceRange(blob, 1000, 1, 6)
    expect(await hashPieceRange(viaChunks, 1000, 1, 6, { sha1: webCryptoSha1 })).toEqual(expected)
  })

  it('a file that fails to read fails the hashing, and one cut short says so', async () => {
    const failing = {
      size: 5000,
      slice: () => ({
        stream: () =>
          new ReadableStream<Uint8Array>({
            pull: (controller) => controller.error(new DOMException('the file changed', 'NotReadableError')),
          }),
      }),
    } as unknown as Blob
    await expect(hashPieceRange(failing, 1000, 0, 5)).rejects.toThrow('the file changed')
    const short = {
      size: 5000,
      slice: () => ({ stream: () => chunkStream(bytes(3500), 1000) }),
    } as unknown as Blob
    await expect(hashPieceRange(short, 1000, 0, 5)).rejects.toThrow('the file ended before its last piece')
  })
})
