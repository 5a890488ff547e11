/**
 * Pieces on disk: IndexedDB, shared by every tab of the origin (docs/decisions.md, "Pieces in IndexedDB").
 * Object store `pieces` holds one record per piece, keyed `[infoHash, index]`, its value the piece's bytes;
 * `torrents` holds one record per torrent: its bytes on disk and when it was last used, for the quota policy
 * (torrent/storage-policy.ts).
 *
 * Tabs: a piece is stored only after WebTorrent checked it against its SHA-1, so two tabs writing the same
 * torrent write the same bytes. What must not happen is a tab deleting a torrent another tab is reading; so
 * each tab holds a shared Web Lock named after the torrent while its store is open, and deletes a torrent
 * only when it can take that lock exclusively (no tab holds it).
 */
import { chooseEvictions, isShort, type StorageEstimate, type StoredTorrent } from './storage-policy.ts'
import type { OpenedTorrent, PieceDb } from './piece-store.ts'

export const DB_NAME = 'theatron-pieces'
const PIECES = 'pieces'
const TORRENTS = 'torrents'
const LOCK_PREFIX = 'theatron:pieces:'
/** How often (bytes written by this tab) the origin's usage is checked against its quota. */
const CHECK_EVERY_BYTES = 64 * 1024 * 1024

interface TorrentRecord {
  infoHash: string
  bytes: number
  usedAt: number
}

/** Whether this browser has what the store needs (IndexedDB and Web Locks). */
export function pieceDbAvailable(): boolean {
  return typeof indexedDB !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.locks
}

export class IdbPieceDb implements PieceDb {
  readonly #now: () => number
  #db: Promise<IDBDatabase> | null = null
  /** The database opened and swept once: every torrent's store opens after it. */
  #warm: Promise<IDBDatabase> | null = null
  #sinceCheck = 0

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /**
   * Opens the database and applies the quota policy once, ahead of the first torrent: a torrent is ready only
   * once its store is open (WebTorrent reads every piece it holds first), so a newcomer that warmed the
   * database while its room opened starts its torrent with one read of the stored keys instead of several
   * round trips to the browser's storage, each slow on a busy page. Never rejects.
   */
  warm(): Promise<void> {
    return this.#warmed().then(
      () => {},
      () => {},
    )
  }

  #warmed(): Promise<IDBDatabase> {
    const warming = (this.#warm ??= this.#open().then(async (db) => {
      // The policy is housekeeping: a failure leaves old pieces for the next tab, never stops this one.
      await this.sweep().catch((err: unknown) => console.warn('piece-db: sweep failed', err))
      return db
    }))
    // Failed to open: the next store tries again.
    warming.catch(() => {
      if (this.#warm === warming) this.#warm = null
    })
    return warming
  }

  async open(infoHash: string): Promise<OpenedTorrent> {
    const release = await holdShared(LOCK_PREFIX + infoHash)
    try {
      const db = await this.#warmed()
      const keys = await request(db.transaction(PIECES).objectStore(PIECES).getAllKeys(rangeOf(infoHash)))
      const stored = new Set(keys.map((key) => (key as [string, number])[1]))
      // Marking the torrent used is for the quota policy: the store need not wait for it.
      this.#touch(db, infoHash, 0).catch((err: unknown) => console.warn('piece-db: could not mark use', err))
      return { stored, release }
    } catch (err) {
      void release()
      throw err
    }
  }

  async read(infoHash: string, index: number): Promise<Uint8Array | undefined> {
    const db = await this.#open()
    const value: unknown = await request(db.transaction(PIECES).objectStore(PIECES).get([infoHash, index]))
    return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined
  }

  async write(infoHash: string, pieces: ReadonlyMap<number, Uint8Array>): Promise<void> {
    let bytes = 0
    for (const chunk of pieces.values()) bytes += chunk.length
    try {
      await this.#write(infoHash, pieces, bytes)
    } catch (err) {
      if (!isQuotaError(err)) throw err
      // Storage is short: delete what policy allows, then try once more.
      await this.sweep(true)
      await this.#write(infoHash, pieces, bytes)
    }
    this.#sinceCheck += bytes
    if (this.#sinceCheck >= CHECK_EVERY_BYTES) {
      this.#sinceCheck = 0
      await this.sweep().catch((err: unknown) => console.warn('piece-db: sweep failed', err))
    }
  }

  async reclaim(infoHash: string): Promise<boolean> {
    const db = await this.#open()
    return withExclusive(LOCK_PREFIX + infoHash, async () => {
      const tx = db.transaction([PIECES, TORRENTS], 'readwrite')
      tx.objectStore(PIECES).delete(rangeOf(infoHash))
      tx.objectStore(TORRENTS).delete(infoHash)
      await done(tx)
    })
  }

  /**
   * Deletes what the quota policy says (torrent/storage-policy.ts): old torrents no tab holds, and more of
   * them when storage is short (`short`: a write just failed for want of space).
   */
  async sweep(short = false): Promise<string[]> {
    const db = await this.#open()
    const records = (await request(
      db.transaction(TORRENTS).objectStore(TORRENTS).getAll(),
    )) as TorrentRecord[]
    const held = await heldLocks()
    const torrents: StoredTorrent[] = records.map((r) => ({ ...r, held: held.has(LOCK_PREFIX + r.infoHash) }))
    let estimate = await estimateStorage()
    // A failed write means the quota is reached whatever the estimate says.
    if (short && estimate && !isShort(estimate)) estimate = { ...estimate, usage: estimate.quota }
    const deleted: string[] = []
    for (const infoHash of chooseEvictions(torrents, estimate, this.#now()))
      if (await this.reclaim(infoHash)) deleted.push(infoHash)
    if (deleted.length > 0) console.info(`piece-db: freed the storage of ${deleted.join(', ')}`)
    return deleted
  }

  /** Closes the connection (pieces stay). */
  close(): void {
    void this.#db?.then((db) => db.close()).catch(() => {})
    this.#db = null
  }

  async #write(infoHash: string, pieces: ReadonlyMap<number, Uint8Array>, bytes: number): Promise<void> {
    const db = await this.#open()
    const tx = db.transaction([PIECES, TORRENTS], 'readwrite', { durability: 'relaxed' })
    const store = tx.objectStore(PIECES)
    for (const [index, chunk] of pieces) store.put(exactBuffer(chunk), [infoHash, index])
    await Promise.all([this.#touch(db, infoHash, bytes, tx), done(tx)])
  }

  /** Marks the torrent used now and adds `bytes` to its size on disk. */
  async #touch(db: IDBDatabase, infoHash: string, bytes: number, given?: IDBTransaction): Promise<void> {
    const tx = given ?? db.transaction(TORRENTS, 'readwrite')
    const torrents = tx.objectStore(TORRENTS)
    const record = (await request(torrents.get(infoHash))) as TorrentRecord | undefined
    torrents.put({
      infoHash,
      bytes: (record?.bytes ?? 0) + bytes,
      usedAt: this.#now(),
    } satisfies TorrentRecord)
    if (!given) await done(tx)
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1)
      req.onupgradeneeded = () => {
        req.result.createObjectStore(PIECES)
        req.result.createObjectStore(TORRENTS, { keyPath: 'infoHash' })
      }
      req.onsuccess = () => {
        // Another tab upgrading the database (a newer version of the app) closes this one.
        req.result.onversionchange = () => req.result.close()
        resolve(req.result)
      }
      req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'))
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'))
    })
    const opening = this.#db
    opening.catch(() => {
      if (this.#db === opening) this.#db = null
    })
    return opening
  }
}

/** Bytes of every piece of a torrent, and none of another's. */
function rangeOf(infoHash: string): IDBKeyRange {
  return IDBKeyRange.bound([infoHash, 0], [infoHash, Infinity])
}

/** The piece's own bytes: storing a view of a larger buffer would store all of it. */
function exactBuffer(chunk: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = chunk
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer
  return chunk.slice().buffer
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'))
  })
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

function isQuotaError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'QuotaExceededError'
}

/** Takes a shared lock and holds it until the returned function is called; that resolves once it is let go. */
function holdShared(name: string): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    let letGo = () => {}
    const held = navigator.locks.request(name, { mode: 'shared' }, () => {
      resolve(() => {
        letGo()
        return held.then(() => {})
      })
      return new Promise<void>((release) => (letGo = release))
    })
    held.catch(reject)
  })
}

/** Runs `fn` under the exclusive lock if no tab holds it; false (without running it) otherwise. */
async function withExclusive(name: string, fn: () => Promise<void>): Promise<boolean> {
  return navigator.locks.request(name, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
    if (!lock) return false
    await fn()
    return true
  })
}

async function heldLocks(): Promise<Set<string>> {
  const { held = [] } = await navigator.locks.query()
  return new Set(held.map((lock) => lock.name ?? ''))
}

async function estimateStorage(): Promise<StorageEstimate | null> {
  try {
    const { usage, quota } = await navigator.storage.estimate()
    return usage === undefined || quota === undefined ? null : { usage, quota }
  } catch {
    return null
  }
}
