import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import {
  coalesce,
  coalesceStreams,
  requestedRange,
  type IteratorEvent,
  type RangeLayout,
} from '../../src/lib/torrent/coalesce.ts'

const PIECE = 4
/** A torrent of 6 pieces of 4 bytes whose byte i is i. */
const TORRENT = Uint8Array.from({ length: 6 * PIECE }, (_, i) => i)

/**
 * A file iterator as WebTorrent's: one chunk per piece (the first from the range's offset), each waiting until
 * its piece is verified. `verify(i)` delivers piece i to a waiting `next()`.
 */
class FakeTorrent {
  readonly verified = new Set<number>()
  readonly #waiting = new Map<number, () => void>()
  returned = false

  verify(...pieces: number[]): void {
    for (const piece of pieces) {
      this.verified.add(piece)
      this.#waiting.get(piece)?.()
    }
  }

  iterate(start: number, end: number): AsyncIterator<Uint8Array> {
    let position = start
    return {
      next: async () => {
        if (position > end) return { done: true, value: undefined }
        const piece = Math.floor(position / PIECE)
        if (!this.verified.has(piece)) await new Promise<void>((resolve) => this.#waiting.set(piece, resolve))
        const stop = Math.min(end + 1, (piece + 1) * PIECE)
        const chunk = TORRENT.slice(position, stop)
        position = stop
        return { done: false, value: chunk }
      },
      return: async () => {
        this.returned = true
        return { done: true, value: undefined }
      },
    }
  }

  layout(start: number, end: number): RangeLayout {
    return { start, end, pieceLength: PIECE, has: (piece) => this.verified.has(piece) }
  }
}

async function drain(iterator: AsyncIterator<Uint8Array>): Promise<number[][]> {
  const chunks: number[][] = []
  for (;;) {
    const { done, value } = await iterator.next()
    if (done) return chunks
    chunks.push([...value])
  }
}

describe('coalesce', () => {
  it('answers with every verified piece after the first, in one chunk', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0, 1, 2, 3, 4, 5)
    const chunks = await drain(coalesce(torrent.iterate(0, 23), torrent.layout(0, 23)))
    expect(chunks).toEqual([[...TORRENT]])
  })

  it('starts and ends where the range does, mid-piece', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0, 1, 2, 3, 4, 5)
    const chunks = await drain(coalesce(torrent.iterate(6, 17), torrent.layout(6, 17)))
    expect(chunks).toEqual([[...TORRENT.slice(6, 18)]])
  })

  it('stops at the first piece that is not verified, and never waits for it', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0, 1, 3)
    const iterator = coalesce(torrent.iterate(0, 23), torrent.layout(0, 23))
    // Resolves although piece 2 never comes: it was not asked for.
    expect([...(await iterator.next()).value]).toEqual([...TORRENT.slice(0, 8)])
    const second = iterator.next()
    torrent.verify(2)
    // The first piece of an answer may wait for the network; then piece 3 is there too.
    expect([...(await second).value]).toEqual([...TORRENT.slice(8, 16)])
    torrent.verify(4, 5)
    expect([...(await iterator.next()).value]).toEqual([...TORRENT.slice(16, 24)])
    expect((await iterator.next()).done).toBe(true)
  })

  it('caps one chunk at maxBytes', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0, 1, 2, 3, 4, 5)
    const chunks = await drain(coalesce(torrent.iterate(0, 23), torrent.layout(0, 23), 9))
    expect(chunks.map((chunk) => chunk.length)).toEqual([12, 12])
  })

  it('hands single chunks through untouched', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0)
    const inner = torrent.iterate(0, 3)
    const chunks = await drain(coalesce(inner, torrent.layout(0, 3)))
    expect(chunks).toEqual([[0, 1, 2, 3]])
  })

  it('passes return() on, so the torrent stops fetching for a cancelled request', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0)
    const iterator = coalesce(torrent.iterate(0, 23), torrent.layout(0, 23))
    await iterator.next()
    await iterator.return?.()
    expect(torrent.returned).toBe(true)
    expect((await iterator.next()).done).toBe(true)
  })
})

describe('requestedRange', () => {
  it.each([
    [undefined, 100, { start: 0, end: 99 }],
    ['bytes=0-', 100, { start: 0, end: 99 }],
    ['bytes=10-', 100, { start: 10, end: 99 }],
    ['bytes=10-19', 100, { start: 10, end: 19 }],
    ['bytes=10-500', 100, { start: 10, end: 99 }],
    ['bytes=100-', 100, null],
    ['bytes=-20', 100, null],
    ['bytes=0-1,5-6', 100, null],
    ['items=0-', 100, null],
    [undefined, 0, null],
  ] as const)('%s of %i bytes → %j', (header, length, expected) => {
    expect(requestedRange(header, length)).toEqual(expected)
  })
})

describe('coalesceStreams', () => {
  class FakeFile extends EventEmitter {
    offset = 8
    length = 12
  }

  function request(file: FakeFile, range: string | undefined, inner: AsyncIterator<Uint8Array>) {
    const used: AsyncIterable<Uint8Array>[] = []
    const event: IteratorEvent = { iterator: inner, req: { headers: { range } } }
    file.emit('iterator', event, (target: AsyncIterable<Uint8Array>) => used.push(target))
    return used
  }

  it('serves a file range through coalesce, in torrent offsets, once per file', async () => {
    const torrent = new FakeTorrent()
    torrent.verify(0, 1, 2, 3, 4, 5)
    const file = new FakeFile()
    const table = { pieceLength: PIECE, bitfield: { get: (i: number) => torrent.verified.has(i) } }
    coalesceStreams(file, table)
    coalesceStreams(file, table)
    const used = request(file, 'bytes=2-', torrent.iterate(10, 19))
    expect(used).toHaveLength(1)
    const chunks = await drain((used[0] as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]())
    expect(chunks).toEqual([[...TORRENT.slice(10, 20)]])
  })

  it('leaves requests it cannot place alone', () => {
    const torrent = new FakeTorrent()
    const file = new FakeFile()
    coalesceStreams(file, { pieceLength: PIECE, bitfield: null })
    expect(request(file, 'bytes=-4', torrent.iterate(0, 3))).toHaveLength(0)
  })
})
