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

  it('refuses files that are not the torrent', () => {
    expect(() => new FileStore(4, [new Blob([new Uint8Array(3)])], 9)).toThrow('not the torrent')
  })
})
