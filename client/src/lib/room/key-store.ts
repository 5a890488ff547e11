import type { KeyStore } from './identity.ts'

/**
 * Identity key pairs in IndexedDB (`theatron` database, `keys` store, by peer id). A CryptoKey is stored
 * as the browser's own structured clone, so a non-extractable private key stays non-extractable: a page
 * can sign with it after a reload but no script can read it. Pairs unused for KEY_TTL_MS are deleted.
 */
const DATABASE = 'theatron'
const STORE = 'keys'
export const KEY_TTL_MS = 30 * 24 * 60 * 60 * 1000

interface StoredPair {
  keys: CryptoKeyPair
  usedAt: number
}

export function indexedDbKeyStore(factory: IDBFactory = indexedDB, now: () => number = Date.now): KeyStore {
  const database = open(factory)
  return {
    async load(peerId) {
      const db = await database
      const stored = await request<StoredPair | undefined>(
        db.transaction(STORE).objectStore(STORE).get(peerId),
      )
      if (!stored) return null
      await request(
        db
          .transaction(STORE, 'readwrite')
          .objectStore(STORE)
          .put({ ...stored, usedAt: now() }, peerId),
      )
      return stored.keys
    },
    async save(peerId, keys) {
      const db = await database
      const store = db.transaction(STORE, 'readwrite').objectStore(STORE)
      await request(store.put({ keys, usedAt: now() } satisfies StoredPair, peerId))
      await prune(db, now() - KEY_TTL_MS)
    },
  }
}

function open(factory: IDBFactory): Promise<IDBDatabase> {
  const opening = factory.open(DATABASE, 1)
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE)
  return request(opening)
}

async function prune(db: IDBDatabase, before: number): Promise<void> {
  const store = db.transaction(STORE, 'readwrite').objectStore(STORE)
  const cursor = store.openCursor()
  await new Promise<void>((resolve, reject) => {
    cursor.onerror = () => reject(cursor.error ?? new Error('IndexedDB cursor failed'))
    cursor.onsuccess = () => {
      const at = cursor.result
      if (!at) return resolve()
      if ((at.value as StoredPair).usedAt < before) at.delete()
      at.continue()
    }
  })
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'))
  })
}
