import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/lib/torrent/memory-store.ts'

const call = <T>(fn: (cb: (err: Error | null, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))

describe('MemoryStore', () => {
  it('keeps chunks, serves slices, checks lengths, and refuses everything once closed', async () => {
    const store = new MemoryStore(4, { length: 10 })
    await call((cb) => store.put(0, Uint8Array.of(1, 2, 3, 4), cb))
    await call((cb) => store.put(2, Uint8Array.of(9, 10), cb)) // the last chunk is shorter
    await expect(call((cb) => store.put(1, Uint8Array.of(1), cb))).rejects.toThrow('Chunk length must be 4')
    await expect(call((cb) => store.put(2, Uint8Array.of(1, 2, 3, 4), cb))).rejects.toThrow('must be 2')
    expect(await call<Uint8Array>((cb) => store.get(0, cb))).toEqual(Uint8Array.of(1, 2, 3, 4))
    expect(await call<Uint8Array>((cb) => store.get(0, { offset: 1, length: 2 }, cb))).toEqual(
      Uint8Array.of(2, 3),
    )
    await expect(call((cb) => store.get(1, null, cb))).rejects.toMatchObject({ notFound: true })
    await call((cb) => store.destroy(cb))
    await expect(call((cb) => store.get(0, cb))).rejects.toThrow('closed')
    await expect(call((cb) => store.put(0, Uint8Array.of(1, 2, 3, 4), cb))).rejects.toThrow('closed')
  })

  it('holds the pieces of a head from the start: whole pieces only, the last one short', async () => {
    const head = { first: 1, bytes: Uint8Array.of(5, 6, 7, 8, 9, 10, 11) } // pieces 1 and 2 (2 bytes), 1 extra
    const store = new MemoryStore(4, { length: 10, preload: head })
    expect(await call<Uint8Array>((cb) => store.get(1, cb))).toEqual(Uint8Array.of(5, 6, 7, 8))
    expect(await call<Uint8Array>((cb) => store.get(2, cb))).toEqual(Uint8Array.of(9, 10))
    await expect(call((cb) => store.get(0, cb))).rejects.toMatchObject({ notFound: true })
    const ragged = new MemoryStore(4, { preload: { first: 0, bytes: Uint8Array.of(1, 2, 3, 4, 5) } })
    await expect(call((cb) => ragged.get(1, cb))).rejects.toMatchObject({ notFound: true })
  })
})
