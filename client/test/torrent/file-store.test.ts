import { describe, expect, it } from 'vitest'
import { FileStore } from '../../src/lib/torrent/file-store.ts'

const call = <T>(fn: (cb: (err: Error | null, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))

describe('FileStore', () => {
  it('reads pieces across the dropped files, one after the other, and holds none of them', async () => {
    const files = [new Blob([Uint8Array.of(0, 1, 2)]), new Blob([Uint8Array.of(3, 4, 5, 6, 7, 8)])]
    const store = new FileStore(4, files, 9) // pieces [0..3], [4..7], [8]
    expect(await call<Uint8Array>((cb) => store.get(0, cb))).toEqual(Uint8Array.of(0, 1, 2, 3))
    expect(await call<Uint8Array>((cb) => store.get(1, { offset: 1, length: 2 }, cb))).toEqual(
      Uint8Array.of(5, 6),
    )
    expect(await call<Uint8Array>((cb) => store.get(2, cb))).toEqual(Uint8Array.of(8))
    await expect(call((cb) => store.get(3, cb))).rejects.toMatchObject({ notFound: true })
    await expect(call((cb) => store.get(1, { offset: 2, length: 4 }, cb))).rejects.toMatchObject({
      notFound: true,
    })
    await call((cb) => store.put(0, Uint8Array.of(0, 1, 2, 3), cb))
    await expect(call((cb) => store.put(2, Uint8Array.of(1, 2), cb))).rejects.toThrow('must be 1')
    await call((cb) => store.destroy(cb))
    await expect(call((cb) => store.get(0, cb))).rejects.toThrow('closed')
  })

  it('reads the pieces after one asked for before they are asked for, each byte once', async () => {
    const MiB = 1024 * 1024
    const reads: [number, number][] = []
    class CountingBlob extends Blob {
      override slice(start?: number, end?: number, type?: string): Blob {
        reads.push([start ?? 0, end ?? this.size])
        return super.slice(start, end, type)
      }
    }
    const file = new CountingBlob([new Uint8Array(16 * MiB).map((_, i) => i >> 20)])
    const store = new FileStore(MiB, [file], 16 * MiB)
    expect(await call<Uint8Array>((cb) => store.get(0, { offset: 0, length: 4 }, cb))).toEqual(
      new Uint8Array(4),
    )
    // The piece asked for is read with the next one, and the next 8 MiB are being read too.
    expect(reads.map(([start]) => start / MiB)).toEqual([0, 2, 4, 6, 8])
    for (let index = 1; index < 16; index++) {
      const piece = await call<Uint8Array>((cb) => store.get(index, cb))
      expect(piece?.[0]).toBe(index)
    }
    const read = reads.reduce((sum, [start, end]) => sum + end - start, 0)
    expect(read).toBe(16 * MiB)
  })

  it('refuses files that are not the torrent', () => {
    expect(() => new FileStore(4, [new Blob([new Uint8Array(3)])], 9)).toThrow('not the torrent')
  })
})
