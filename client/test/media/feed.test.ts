import { describe, expect, it } from 'vitest'
import { blobSource, readAll } from '../../src/lib/media/feed.ts'

describe('a dropped file as a byte source', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
  const source = blobSource(new Blob([bytes]), 300)

  it('reads [start, end] inclusive, a chunk at a time, only as far as it is asked', async () => {
    expect(source.length).toBe(1000)
    expect(source.has(0, 1000)).toBe(true)
    expect(await readAll(source, 100, 899)).toEqual(bytes.subarray(100, 900))
    const iterator = source.read(0)
    const first = await iterator.next()
    expect(first.value).toEqual(bytes.subarray(0, 300))
    await iterator.return?.()
    expect((await iterator.next()).done).toBe(true)
  })
})
