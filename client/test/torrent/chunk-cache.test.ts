import { describe, expect, it } from 'vitest'
import { ChunkCache } from '../../src/lib/torrent/chunk-cache.ts'

describe('ChunkCache', () => {
  it('keeps the most recently used chunks within its byte budget', () => {
    const cache = new ChunkCache(10)
    cache.set(0, new Uint8Array(4))
    cache.set(1, new Uint8Array(4))
    cache.get(0) // 1 is now the least recently used
    cache.set(2, new Uint8Array(4))
    expect(cache.get(1)).toBeUndefined()
    expect(cache.get(0)).toBeDefined()
    expect(cache.get(2)).toBeDefined()
    expect(cache.bytes).toBe(8)
  })

  it('always keeps the chunk just set, even one over budget, and replaces a chunk in place', () => {
    const cache = new ChunkCache(4)
    cache.set(0, new Uint8Array(3))
    cache.set(1, new Uint8Array(6))
    expect(cache.size).toBe(1)
    expect(cache.bytes).toBe(6)
    cache.set(1, new Uint8Array(2))
    expect(cache.bytes).toBe(2)
    cache.delete(1)
    expect(cache.bytes).toBe(0)
  })
})
