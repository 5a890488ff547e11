import { describe, expect, it } from 'vitest'
import { PieceStore, type OpenedTorrent, type PieceDb } from '../../src/lib/torrent/piece-store.ts'
import { expectWarning } from '../console.ts'

const call = <T>(fn: (cb: (err: Error | null, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))

/** The disk as a map, with tabs holding torrents counted: the logic of torrent/piece-db.ts without IndexedDB. */
class MapDb implements PieceDb {
  readonly pieces = new Map<string, Map<number, Uint8Array>>()
  readonly holders = new Map<string, number>()
  reads = 0
  writes = 0
  full = false
  #gate: Promise<void> | null = null
  #open: (() => void) | null = null

  /** Holds writes until `release()`: a slow disk. */
  hold(): () => void {
    this.#gate = new Promise((resolve) => (this.#open = resolve))
    return () => {
      this.#gate = null
      this.#open?.()
    }
  }

  open(infoHash: string): Promise<OpenedTorrent> {
    this.holders.set(infoHash, (this.holders.get(infoHash) ?? 0) + 1)
    let released = false
    const release = () => {
      if (!released) this.holders.set(infoHash, (this.holders.get(infoHash) ?? 1) - 1)
      released = true
      return Promise.resolve()
    }
    return Promise.resolve({ stored: new Set(this.pieces.get(infoHash)?.keys()), release })
  }

  read(infoHash: string, index: number): Promise<Uint8Array | undefined> {
    this.reads++
    return Promise.resolve(this.pieces.get(infoHash)?.get(index))
  }

  async write(infoHash: string, pieces: ReadonlyMap<number, Uint8Array>): Promise<void> {
    await this.#gate
    if (this.full) throw new DOMException('full', 'QuotaExceededError')
    this.writes++
    const stored = this.pieces.get(infoHash) ?? new Map<number, Uint8Array>()
    for (const [index, chunk] of pieces) stored.set(index, chunk.slice())
    this.pieces.set(infoHash, stored)
  }

  reclaim(infoHash: string): Promise<boolean> {
    if ((this.holders.get(infoHash) ?? 0) > 0) return Promise.resolve(false)
    return Promise.resolve(this.pieces.delete(infoHash))
  }
}

const piece = (index: number, length = 4) => Uint8Array.from({ length }, (_, i) => index * 10 + i)
const H = 'a'.repeat(40)

function store(db: MapDb, options: Partial<ConstructorParameters<typeof PieceStore>[1]> = {}) {
  return new PieceStore(4, { length: 38, infoHash: H, db, ...options }) // 9 pieces of 4, the last of 2
}

/** Waits until every write the store has started is on the map (close flushes). */
const closed = (s: PieceStore) => call((cb) => s.close(cb))

describe('PieceStore', () => {
  it('keeps pieces, serves slices, checks lengths, and refuses everything once closed', async () => {
    const db = new MapDb()
    const s = store(db)
    await call((cb) => s.put(0, piece(0), cb))
    await call((cb) => s.put(9, piece(9, 2), cb)) // the last piece is shorter
    await expect(call((cb) => s.put(1, piece(1, 3), cb))).rejects.toThrow('Chunk length must be 4')
    expect(await call<Uint8Array>((cb) => s.get(0, cb))).toEqual(piece(0))
    expect(await call<Uint8Array>((cb) => s.get(0, { offset: 1, length: 2 }, cb))).toEqual(
      piece(0).subarray(1, 3),
    )
    await expect(call((cb) => s.get(1, null, cb))).rejects.toMatchObject({ notFound: true })
    await closed(s)
    expect([...(db.pieces.get(H)?.keys() ?? [])]).toEqual([0, 9])
    await expect(call((cb) => s.get(0, cb))).rejects.toThrow('closed')
    await expect(call((cb) => s.put(0, piece(0), cb))).rejects.toThrow('closed')
  })

  it('holds no more than its cache in memory and reads the rest from disk', async () => {
    const db = new MapDb()
    const s = store(db, { cacheBytes: 8, maxPendingBytes: 8 }) // two pieces
    for (let i = 0; i < 9; i++) await call((cb) => s.put(i, piece(i), cb))
    await call((cb) => s.put(9, piece(9, 2), cb))
    expect(s.memoryBytes).toBeLessThanOrEqual(16)
    await new Promise<void>((resolve) => s.get(9, () => resolve())) // a cache hit: no read
    expect(db.reads).toBe(0)
    for (let i = 0; i < 9; i++) expect(await call<Uint8Array>((cb) => s.get(i, cb))).toEqual(piece(i))
    expect(db.reads).toBeGreaterThanOrEqual(7)
    expect(s.memoryBytes).toBeLessThanOrEqual(16)
    await closed(s)
  })

  it('answers puts at once while little waits for the disk, after the write when more does', async () => {
    const db = new MapDb()
    const open = db.hold()
    const s = store(db, { maxPendingBytes: 8 })
    await call((cb) => s.put(0, piece(0), cb))
    await call((cb) => s.put(1, piece(1), cb))
    let third = false
    const putting = call((cb) => s.put(2, piece(2), cb)).then(() => (third = true))
    await Promise.resolve()
    await Promise.resolve()
    expect(third).toBe(false)
    open()
    await putting
    await closed(s)
    expect([...(db.pieces.get(H)?.keys() ?? [])].sort()).toEqual([0, 1, 2])
  })

  it('resumes: a new store for the same torrent serves what an earlier one wrote', async () => {
    const db = new MapDb()
    const first = store(db)
    await call((cb) => first.put(3, piece(3), cb))
    await closed(first)
    const second = store(db)
    expect(await call<Uint8Array>((cb) => second.get(3, cb))).toEqual(piece(3))
    await expect(call((cb) => second.get(4, cb))).rejects.toMatchObject({ notFound: true })
    await closed(second)
  })

  it('keeps a head in memory only, until a downloaded piece replaces it', async () => {
    const db = new MapDb()
    const s = store(db, { preload: { first: 1, bytes: Uint8Array.of(7, 7, 7, 7, 8, 8, 8, 8) } })
    expect(await call<Uint8Array>((cb) => s.get(2, cb))).toEqual(Uint8Array.of(8, 8, 8, 8))
    await call((cb) => s.put(2, piece(2), cb))
    expect(await call<Uint8Array>((cb) => s.get(2, cb))).toEqual(piece(2))
    await closed(s)
    expect([...(db.pieces.get(H)?.keys() ?? [])]).toEqual([2])
  })

  it('destroy deletes the pieces, unless another tab holds the torrent', async () => {
    const db = new MapDb()
    const mine = store(db)
    const theirs = store(db)
    await call((cb) => mine.put(0, piece(0), cb))
    await call((cb) => mine.destroy(cb))
    expect(db.pieces.has(H)).toBe(true) // theirs still holds it
    await call((cb) => theirs.destroy(cb))
    expect(db.pieces.has(H)).toBe(false)
    expect(db.holders.get(H)).toBe(0)
  })

  it('a full disk fails the puts that follow, so the torrent stops with "storage full"', async () => {
    const db = new MapDb()
    db.full = true
    const s = store(db, { maxPendingBytes: 0 })
    await expect(call((cb) => s.put(0, piece(0), cb))).rejects.toMatchObject({ name: 'QuotaExceededError' })
    await expect(call((cb) => s.put(1, piece(1), cb))).rejects.toMatchObject({ name: 'QuotaExceededError' })
    await call((cb) => s.destroy(cb))
  })

  it('works from memory when the disk cannot be opened', async () => {
    const db = new MapDb()
    db.open = () => Promise.reject(new Error('no IndexedDB here'))
    const s = store(db)
    await expect(call((cb) => s.get(0, cb))).rejects.toMatchObject({ notFound: true })
    expectWarning(/storage unavailable/)
    await call((cb) => s.destroy(cb))
  })
})
