import { describe, expect, it } from 'vitest'
import {
  createRoomSecret,
  documentIdFor,
  parseRoomHash,
  parseRoomRoute,
  roomHash,
  roomLink,
} from '../../src/lib/room/link.ts'
import { hex } from '../../src/lib/random.ts'
import { peerIdFor } from '../../src/lib/mesh/signing.ts'
import { deriveRoomKeys } from '../../src/lib/room/keys.ts'
import {
  claimIdentity,
  cleanName,
  IDENTITY_RELEASE_WAIT_MS,
  loadIdentity,
  loadName,
  saveName,
  type Identity,
  type IdentityLocks,
  type KeyStore,
} from '../../src/lib/room/identity.ts'

/** Key pairs kept in memory, as IndexedDB keeps them for the browser profile. */
class MemoryKeys implements KeyStore {
  readonly pairs = new Map<string, CryptoKeyPair>()
  load(peerId: string) {
    return Promise.resolve(this.pairs.get(peerId) ?? null)
  }
  save(peerId: string, keys: CryptoKeyPair) {
    this.pairs.set(peerId, keys)
    return Promise.resolve()
  }
}

/** What a tab keeps of its identity (the signer's functions differ per load). */
const kept = (identity: Identity) => ({
  peerId: identity.peerId,
  token: identity.token,
  publicKey: identity.signer.publicKey,
})

class MemoryStorage {
  #items = new Map<string, string>()
  get length() {
    return this.#items.size
  }
  clear() {
    this.#items.clear()
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null
  }
  removeItem(key: string) {
    this.#items.delete(key)
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value)
  }
}

describe('room link', () => {
  it('carries a 128-bit secret in the fragment and parses back', () => {
    const secret = createRoomSecret()
    expect(createRoomSecret()).not.toBe(secret)
    expect(roomLink('https://theatron.example', secret)).toBe(`https://theatron.example/#/r2/${secret}`)
    expect(parseRoomHash(roomHash(secret))).toBe(secret)
    // a first-version link opens the same secret's room
    expect(parseRoomHash(`#/r/${secret}`)).toBe(secret)
    expect(parseRoomHash('#/r2/short')).toBeNull()
    expect(parseRoomHash('')).toBeNull()
  })

  it('marks a remote control route, which opens the same room', () => {
    const secret = createRoomSecret()
    expect(roomLink('https://t.example', secret, true)).toBe(`https://t.example/#/r2/${secret}/remote`)
    expect(parseRoomRoute(roomHash(secret, true))).toEqual({ secret, remote: true })
    expect(parseRoomRoute(roomHash(secret))).toEqual({ secret, remote: false })
    expect(parseRoomHash(roomHash(secret, true))).toBe(secret)
    expect(parseRoomRoute(`#/r2/${secret}/remotex`)).toBeNull()
    expect(parseRoomRoute(`#/r2/${secret}/`)).toBeNull()
  })

  it('derives the document id and the room key with HKDF, independent of each other', async () => {
    const keys = await deriveRoomKeys('AAAAAAAAAAAAAAAAAAAAAA')
    expect(keys.roomKey.extractable).toBe(false)
    expect(keys.roomKey.algorithm.name).toBe('HKDF')
    // the room key is not the document id: HKDF from it does not give what HKDF from the id's bytes gives
    const fromKey = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new Uint8Array() },
      keys.roomKey,
      256,
    )
    const idBytes = new TextEncoder().encode(keys.documentId)
    const idKey = await crypto.subtle.importKey('raw', idBytes, 'HKDF', false, ['deriveBits'])
    const fromId = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new Uint8Array() },
      idKey,
      256,
    )
    expect(hex(new Uint8Array(fromKey))).not.toBe(hex(new Uint8Array(fromId)))
    await expect(deriveRoomKeys('short')).rejects.toThrow(/16 bytes/)
  })

  it('derives the document id from the secret, fit for the signal server', async () => {
    const id = await documentIdFor('AAAAAAAAAAAAAAAAAAAAAA')
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(id).toBe(await documentIdFor('AAAAAAAAAAAAAAAAAAAAAA'))
    expect(id).not.toBe(await documentIdFor('AAAAAAAAAAAAAAAAAAAAAQ'))
    // not the bare hash of the secret: the server cannot check a guessed secret against other uses
    const bare = hex(
      new Uint8Array(
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode('AAAAAAAAAAAAAAAAAAAAAA')),
      ),
    )
    expect(id).not.toBe(bare)
  })
})

describe('identity', () => {
  it('keeps the key pair, peer id and token for the tab, and the name for next time', async () => {
    const session = new MemoryStorage()
    const local = new MemoryStorage()
    const keys = new MemoryKeys()
    const first = await loadIdentity(session, keys)
    expect(first.peerId).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(first.peerId).toBe(await peerIdFor(first.signer.publicKey))
    expect(keys.pairs.get(first.peerId)?.privateKey.extractable).toBe(false)
    expect(kept(await loadIdentity(session, keys))).toEqual(kept(first)) // a reload
    expect((await loadIdentity(new MemoryStorage(), keys)).peerId).not.toBe(first.peerId) // another tab
    // a tab whose key pair is gone (storage cleared) takes a new identity rather than an id it cannot prove
    expect((await loadIdentity(session, new MemoryKeys())).peerId).not.toBe(first.peerId)
    expect(loadName(local)).toBe('')
    saveName(local, '  Ana\u0007 ')
    expect(loadName(local)).toBe('Ana')
    expect(cleanName('x'.repeat(100))).toHaveLength(32)
  })
})

/** Web Locks as one browser profile has them: a held lock is granted to the next request once released. */
class FakeLocks implements IdentityLocks {
  readonly held = new Set<string>()
  #waiting = new Map<string, () => void>()

  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>) {
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        this.held.add(name)
        void callback({ name }).then(resolve)
      }
      if (!this.held.has(name)) return grant()
      this.#waiting.set(name, grant)
      options.signal?.addEventListener('abort', () => {
        this.#waiting.delete(name)
        reject(new DOMException('timed out', 'TimeoutError'))
      })
    })
  }

  /** The page holding `name` went away (a reload unloads the old document). */
  release(name: string): void {
    this.held.delete(name)
    const next = this.#waiting.get(name)
    this.#waiting.delete(name)
    next?.()
  }
}

describe('claimIdentity', () => {
  it('a tab keeps its stored identity and holds its lock', async () => {
    const session = new MemoryStorage()
    const keys = new MemoryKeys()
    const stored = await loadIdentity(session, keys)
    const locks = new FakeLocks()
    const claimed = await claimIdentity(session, locks, keys)
    expect([kept(claimed.identity), claimed.duplicated]).toEqual([kept(stored), false])
    expect([...locks.held]).toEqual([`theatron:peer:${stored.peerId}`])
    // Without Web Locks: as stored.
    const unlocked = await claimIdentity(session, undefined, keys)
    expect([kept(unlocked.identity), unlocked.duplicated]).toEqual([kept(stored), false])
  })

  it('a reload waits for the old page to let go of the lock, and stays the same member', async () => {
    const session = new MemoryStorage()
    const locks = new FakeLocks()
    const keys = new MemoryKeys()
    const { identity } = await claimIdentity(session, locks, keys)
    const reloaded = claimIdentity(session, locks, keys)
    setTimeout(() => locks.release(`theatron:peer:${identity.peerId}`), 20)
    const again = await reloaded
    expect([kept(again.identity), again.duplicated]).toEqual([kept(identity), false])
  })

  it('a duplicated tab (its sessionStorage copied) becomes a new member, saved for its own reloads', async () => {
    const original = new MemoryStorage()
    const locks = new FakeLocks()
    const keys = new MemoryKeys()
    const { identity } = await claimIdentity(original, locks, keys)
    const copy = new MemoryStorage()
    copy.setItem('theatron:peer', original.getItem('theatron:peer')!)
    const started = Date.now()
    const duplicate = await claimIdentity(copy, locks, keys)
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDENTITY_RELEASE_WAIT_MS - 50)
    expect(duplicate.duplicated).toBe(true)
    expect(duplicate.identity.peerId).not.toBe(identity.peerId)
    expect(duplicate.identity.token).not.toBe(identity.token)
    expect(kept(await loadIdentity(copy, keys))).toEqual(kept(duplicate.identity))
    expect(kept(await loadIdentity(original, keys))).toEqual(kept(identity))
    expect(locks.held).toEqual(
      new Set([`theatron:peer:${identity.peerId}`, `theatron:peer:${duplicate.identity.peerId}`]),
    )
  })
})
