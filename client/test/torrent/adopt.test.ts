/**
 * The taker's own rules, on an in-memory stand-in for a WebTorrent torrent with the fields `adoptPiece` uses
 * (internals.test.ts checks those against the real WebTorrent): at most `MAX_ADOPTING` pieces at once, and
 * nothing more once the owner sent a piece that does not match its hash.
 */
import { describe, expect, it } from 'vitest'
import type { Torrent } from 'webtorrent/dist/webtorrent.min.js'
import { expectWarning } from '../console.ts'
import { adoptingTaker, MAX_ADOPTING } from '../../src/lib/torrent/adopt.ts'
import { hex } from '../../src/lib/random.ts'

const PIECE = 16

async function sha1Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes)))
}

function piece(index: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: PIECE }, (_, i) => (index * PIECE + i) % 251)
}

/** A torrent of `count` pieces whose store holds every `put` until `flush`. */
async function fakeTorrent(count: number) {
  const had = new Set<number>()
  const puts: (() => void)[] = []
  const torrent = {
    destroyed: false,
    pieceLength: PIECE,
    length: count * PIECE,
    _hashes: await Promise.all(Array.from({ length: count }, (_, i) => sha1Hex(piece(i)))),
    bitfield: { get: (i: number) => had.has(i), set: (i: number) => had.add(i) },
    pieces: Array.from({ length: count }, () => ({})),
    store: {
      put: (_i: number, _b: Uint8Array, cb: (err: Error | null) => void) => puts.push(() => cb(null)),
    },
    wires: [],
    _markVerified: (i: number) => had.add(i),
    _checkDone: () => {},
    _update: () => {},
  }
  /** Lets every held `put` finish, and what they wait for settle. */
  const flush = async () => {
    for (let round = 0; round < 20; round++) {
      await new Promise((resolve) => setTimeout(resolve, 0))
      for (const done of puts.splice(0)) done()
    }
  }
  return { torrent: torrent as unknown as Torrent, had, puts, flush }
}

describe('adoptingTaker', () => {
  it('checks at most MAX_ADOPTING pieces at once and leaves the rest to the torrent', async () => {
    const { torrent, had, flush } = await fakeTorrent(MAX_ADOPTING + 2)
    const taker = adoptingTaker(torrent, 0)
    expect(taker.layout).toEqual({ pieceLength: PIECE, fileOffset: 0, length: (MAX_ADOPTING + 2) * PIECE })
    for (let i = 0; i < MAX_ADOPTING + 1; i++) taker.take(i, piece(i))
    await flush()
    expect([...had].sort()).toEqual(Array.from({ length: MAX_ADOPTING }, (_, i) => i))
    expect(taker.has(0)).toBe(true)
    expect(taker.has(MAX_ADOPTING)).toBe(false)
    taker.take(MAX_ADOPTING + 1, piece(MAX_ADOPTING + 1)) // room again once those are in
    await flush()
    expect(had.has(MAX_ADOPTING + 1)).toBe(true)
  })

  it('takes nothing more after a piece that does not match its hash', async () => {
    const { torrent, had, flush } = await fakeTorrent(3)
    const taker = adoptingTaker(torrent, 0)
    const forged = piece(0)
    forged[0] = forged[0]! ^ 1
    taker.take(0, forged)
    await flush()
    expectWarning(/piece 0 from the owner does not match its hash; taking no more/)
    taker.take(1, piece(1))
    await flush()
    expect(had.size).toBe(0)
  })
})
