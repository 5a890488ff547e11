import { describe, expect, it } from 'vitest'
import {
  decodeMeta,
  encodeMeta,
  isMetaFor,
  MAX_META_BYTES,
  MAX_METAS,
  MetaCache,
} from '../../src/lib/torrent/meta.ts'
import { singleFileInfo, torrentBytes } from './fixture.ts'

/** Plain Uint8Arrays (the fixture makes Buffers), as the page has them. */
const fixture = (name: string) => {
  const { bytes, infoHash } = torrentBytes({ info: singleFileInfo(name) })
  return { bytes: new Uint8Array(bytes), infoHash }
}
const real = fixture('clip.webm')
const other = fixture('other.webm')
const hash = (n: number) => n.toString(16).padStart(40, '0')

describe('meta encoding', () => {
  it('round-trips bytes through base64, including large ones', () => {
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff)
    for (const bytes of [real.bytes, big, new Uint8Array(0)])
      expect(decodeMeta(encodeMeta(bytes))).toEqual(bytes)
  })

  it('refuses what is not base64 or is too large', () => {
    expect(decodeMeta('not base64 ***')).toBeNull()
    expect(decodeMeta('A'.repeat(Math.ceil(MAX_META_BYTES / 3) * 4 + 4))).toBeNull()
  })
})

describe('isMetaFor', () => {
  it('accepts a .torrent whose info dictionary hashes to the info hash, and nothing else', async () => {
    expect(await isMetaFor(real.infoHash, real.bytes)).toBe(true)
    expect(await isMetaFor(real.infoHash, other.bytes)).toBe(false) // a member swapping the file
    expect(await isMetaFor(real.infoHash, new TextEncoder().encode('d4:infoi1ee'))).toBe(false)
  })
})

describe('MetaCache', () => {
  it('keeps verified bytes from members, and drops forged ones', async () => {
    const cache = new MetaCache()
    cache.offer(real.infoHash, real.bytes)
    cache.offer(other.infoHash, real.bytes) // claims the wrong torrent
    expect(await cache.get(real.infoHash)).toEqual(real.bytes)
    expect(await cache.get(other.infoHash)).toBeNull()
    expect(await cache.get(hash(1))).toBeNull()
  })

  it('a get waits for a check still running', async () => {
    let release: (ok: boolean) => void = () => {}
    const cache = new MetaCache(() => new Promise<boolean>((resolve) => (release = resolve)))
    cache.offer(real.infoHash, real.bytes)
    const got = cache.get(real.infoHash)
    release(true)
    expect(await got).toEqual(real.bytes)
  })

  it('the first good copy wins over a later forged one', async () => {
    const cache = new MetaCache()
    cache.offer(real.infoHash, real.bytes)
    cache.offer(real.infoHash, other.bytes)
    expect(await cache.get(real.infoHash)).toEqual(real.bytes)
    const late = new MetaCache()
    late.offer(real.infoHash, other.bytes)
    late.offer(real.infoHash, real.bytes) // a good copy after a forged one still counts
    expect(await late.get(real.infoHash)).toEqual(real.bytes)
  })

  it('checks a copy only when no good one came before it', async () => {
    const checked: Uint8Array[] = []
    const cache = new MetaCache((infoHash, bytes) => {
      checked.push(bytes)
      return isMetaFor(infoHash, bytes)
    })
    cache.offer(real.infoHash, other.bytes)
    cache.offer(real.infoHash, real.bytes)
    cache.offer(real.infoHash, real.bytes) // a duplicate of the good copy
    expect(await cache.get(real.infoHash)).toEqual(real.bytes)
    expect(checked).toEqual([other.bytes, real.bytes])
  })

  it('trusts our own bytes, refuses oversized ones, and forgets on request', async () => {
    const cache = new MetaCache(() => Promise.resolve(false))
    cache.set(hash(1), real.bytes)
    cache.set(hash(2), new Uint8Array(MAX_META_BYTES + 1))
    expect(await cache.get(hash(1))).toEqual(real.bytes)
    expect(cache.has(hash(2))).toBe(false)
    cache.delete(hash(1))
    expect(cache.has(hash(1))).toBe(false)
  })

  it('holds at most MAX_METAS torrents, dropping the oldest', () => {
    const cache = new MetaCache(() => Promise.resolve(true))
    for (let i = 0; i < MAX_METAS + 5; i++) cache.offer(hash(i), real.bytes)
    expect(cache.size).toBe(MAX_METAS)
    expect(cache.has(hash(0))).toBe(false)
    expect(cache.has(hash(MAX_METAS + 4))).toBe(true)
  })
})
