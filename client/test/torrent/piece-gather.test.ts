import { describe, expect, it } from 'vitest'
import { PieceGather, type PieceLayout } from '../../src/lib/torrent/piece-gather.ts'

/** A torrent's bytes: byte i is i % 251. */
function bytesOf(start: number, end: number): Uint8Array {
  return Uint8Array.from({ length: end - start }, (_, i) => (start + i) % 251)
}

/** Gathers with `layout`, the torrent holding `held`; returns what was taken, index → bytes. */
function gatherer(layout: PieceLayout, held: readonly number[] = []) {
  const taken = new Map<number, Uint8Array>()
  const gather = new PieceGather({
    layout,
    has: (index) => held.includes(index),
    take: (index, bytes) => taken.set(index, bytes),
  })
  /** Pushes the file's bytes [from, to) in chunks of `chunk`. */
  const read = (from: number, to: number, chunk: number) => {
    for (let at = from; at < to; at += chunk) {
      const end = Math.min(to, at + chunk)
      gather.push(at, bytesOf(layout.fileOffset + at, layout.fileOffset + end))
    }
  }
  return { taken, read }
}

describe('PieceGather', () => {
  const layout = { pieceLength: 10, fileOffset: 0, length: 35 }

  it('hands over every piece a read covers whole, the short last one too, in chunks of any size', () => {
    for (const chunk of [1, 3, 7, 10, 35]) {
      const { taken, read } = gatherer(layout)
      read(0, 35, chunk)
      expect([...taken.keys()]).toEqual([0, 1, 2, 3])
      for (const [index, bytes] of taken)
        expect(bytes).toEqual(bytesOf(index * 10, Math.min(35, index * 10 + 10)))
    }
  })

  it('skips the piece a read starts inside and the one it ends inside', () => {
    const { taken, read } = gatherer(layout)
    read(4, 27, 6)
    expect([...taken.keys()]).toEqual([1])
  })

  it('starts over when the read jumps: the piece it left unfinished is dropped', () => {
    const { taken, read } = gatherer(layout)
    read(0, 16, 8)
    read(20, 30, 5)
    expect([...taken.keys()]).toEqual([0, 2])
  })

  it('leaves out pieces the torrent holds', () => {
    const { taken, read } = gatherer(layout, [1, 3])
    read(0, 35, 4)
    expect([...taken.keys()]).toEqual([0, 2])
  })

  it('cuts at the torrent’s piece boundaries for a file that starts inside a piece', () => {
    // The file's bytes are torrent bytes 25–74 of 100: pieces 3–6 lie inside it, 2 and 7 only in part.
    const { taken, read } = gatherer({ pieceLength: 10, fileOffset: 25, length: 100 })
    read(0, 50, 9)
    expect([...taken.keys()]).toEqual([3, 4, 5, 6])
    expect(taken.get(3)).toEqual(bytesOf(30, 40))
  })

  it('ignores bytes past the torrent and nonsense positions', () => {
    const { taken, read } = gatherer(layout)
    read(30, 45, 15)
    expect([...taken.keys()]).toEqual([3])
    const bad = gatherer({ pieceLength: 0, fileOffset: 0, length: 35 })
    bad.read(0, 35, 5)
    expect(bad.taken.size).toBe(0)
  })
})
