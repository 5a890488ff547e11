import { describe, expect, it } from 'vitest'
import {
  addHeadPart,
  HEAD_MAX_BYTES,
  HEAD_PART_BYTES,
  HEAD_TARGET_BYTES,
  headChunks,
  headParts,
  headRange,
} from '../../src/lib/torrent/head.ts'

const KiB = 1024
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)

describe('headRange', () => {
  it('takes the whole pieces that hold the start of a single-file torrent', () => {
    expect(headRange({ pieceLength: 16 * KiB, length: 850 * KiB }, { offset: 0, length: 850 * KiB })).toEqual(
      {
        first: 0,
        end: HEAD_TARGET_BYTES / (16 * KiB),
        start: 0,
        stop: HEAD_TARGET_BYTES,
      },
    )
  })

  it('rounds up to a whole piece, and stops at the end of a short torrent', () => {
    expect(
      headRange({ pieceLength: 80 * KiB, length: 1000 * KiB }, { offset: 0, length: 1000 * KiB }),
    ).toEqual({
      first: 0,
      end: 3,
      start: 0,
      stop: 240 * KiB,
    })
    expect(headRange({ pieceLength: 16 * KiB, length: 20_000 }, { offset: 0, length: 20_000 })).toEqual({
      first: 0,
      end: 2,
      start: 0,
      stop: 20_000,
    })
  })

  it('starts at the piece that holds a later file of the torrent', () => {
    const layout = { pieceLength: 16 * KiB, length: 2_000_000 }
    const range = headRange(layout, { offset: 40_000, length: 1_900_000 })
    expect(range).toEqual({
      first: 2,
      end: Math.ceil((40_000 + HEAD_TARGET_BYTES) / (16 * KiB)),
      start: 32 * KiB,
      stop: Math.ceil((40_000 + HEAD_TARGET_BYTES) / (16 * KiB)) * 16 * KiB,
    })
  })

  it('takes the one piece that holds the start when pieces are large, up to 4 MiB', () => {
    for (const pieceLength of [512 * KiB, 1024 * KiB, 4096 * KiB]) {
      expect(headRange({ pieceLength, length: 2 ** 32 }, { offset: 0, length: 2 ** 32 })).toEqual({
        first: 0,
        end: 1,
        start: 0,
        stop: pieceLength,
      })
    }
  })

  it('sends nothing when one piece is more than a head may carry', () => {
    expect(headRange({ pieceLength: 8192 * KiB, length: 2 ** 32 }, { offset: 0, length: 2 ** 32 })).toBeNull()
    // pieces of exactly HEAD_MAX_BYTES: one fits
    expect(
      headRange({ pieceLength: HEAD_MAX_BYTES, length: 2 ** 30 }, { offset: 0, length: 2 ** 30 })?.end,
    ).toBe(1)
  })

  it('refuses a layout that makes no sense', () => {
    expect(headRange({ pieceLength: 0, length: 100 }, { offset: 0, length: 100 })).toBeNull()
    expect(headRange({ pieceLength: 16 * KiB, length: 100 }, { offset: 50, length: 100 })).toBeNull()
    expect(headRange({ pieceLength: 16 * KiB, length: 100 }, { offset: -1, length: 10 })).toBeNull()
  })
})

describe('headChunks', () => {
  it('cuts a head into its pieces', () => {
    const chunks = headChunks({ first: 2, bytes: bytes(48 * KiB) }, 16 * KiB)
    expect([...chunks.keys()]).toEqual([2, 3, 4])
    expect([...chunks.values()].map((c) => c.length)).toEqual([16 * KiB, 16 * KiB, 16 * KiB])
  })

  it("keeps the torrent's short last piece, and drops a ragged end or bytes past the torrent", () => {
    const length = 16 * KiB + 100 // two pieces: 16 KiB and 100 bytes
    expect([...headChunks({ first: 0, bytes: bytes(length) }, 16 * KiB, length).keys()]).toEqual([0, 1])
    expect([...headChunks({ first: 0, bytes: bytes(length + 50) }, 16 * KiB, length).keys()]).toEqual([0, 1])
    expect([...headChunks({ first: 0, bytes: bytes(20 * KiB) }, 16 * KiB).keys()]).toEqual([0]) // ragged
    expect([...headChunks({ first: 5, bytes: bytes(16 * KiB) }, 16 * KiB, length).keys()]).toEqual([])
  })

  it('refuses a nonsense first piece', () => {
    expect(headChunks({ first: -1, bytes: bytes(16 * KiB) }, 16 * KiB).size).toBe(0)
    expect(headChunks({ first: 0.5, bytes: bytes(16 * KiB) }, 16 * KiB).size).toBe(0)
  })
})

describe('head parts', () => {
  it('cut and put back together give the head', () => {
    const head = { first: 3, bytes: Uint8Array.from({ length: HEAD_PART_BYTES * 2 + 10 }, (_, i) => i % 251) }
    const parts = headParts(head)
    expect(parts.map((p) => [p.at, p.bytes.length])).toEqual([
      [0, HEAD_PART_BYTES],
      [HEAD_PART_BYTES, HEAD_PART_BYTES],
      [2 * HEAD_PART_BYTES, 10],
    ])
    expect(parts.reduce<ReturnType<typeof addHeadPart>>(addHeadPart, null)).toEqual(head)
  })

  it('a part that does not follow on leaves the head as it was; a new start replaces it', () => {
    const start = { first: 0, at: 0, bytes: bytes(10) }
    const head = addHeadPart(null, start)
    expect(addHeadPart(head, { first: 0, at: 11, bytes: bytes(5) })).toBe(head) // a gap
    expect(addHeadPart(head, { first: 1, at: 10, bytes: bytes(5) })).toBe(head) // another head's part
    expect(addHeadPart(null, { first: 0, at: 10, bytes: bytes(5) })).toBeNull() // nothing to follow
    expect(addHeadPart(head, { first: 0, at: 10, bytes: bytes(HEAD_MAX_BYTES) })).toBe(head) // too much
    expect(addHeadPart(head, { first: 4, at: 0, bytes: bytes(3, 7) })).toEqual({
      first: 4,
      bytes: bytes(3, 7),
    })
  })
})
