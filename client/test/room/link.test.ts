import { describe, expect, it } from 'vitest'
import {
  createRoomSecret,
  documentIdFor,
  parseRoomHash,
  roomHash,
  roomLink,
} from '../../src/lib/room/link.ts'
import { hex } from '../../src/lib/random.ts'
import {
  claimIdentity,
  cleanName,
  IDENTITY_RELEASE_WAIT_MS,
  loadIdentity,
  loadName,
  saveName,
  type IdentityLocks,
} from '../../src/lib/room/identity.ts'

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
    expect(roomLink('https://theatron.example', secret)).toBe(`https://theatron.example/#/r/${secret}`)
    expect(parseRoomHash(roomHash(secret))).toBe(secret)
    expect(parseRoomHash('#/r/short')).toBeNull()
    expect(parseRoomHash('')).toBeNull()
  })

  it('derives the document id by hashing the domain-separated secret', async () => {
    const id = await documentIdFor('AAAAAAAAAAAAAAAAAAAAAA')
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(id).toBe(await documentIdFor('AAAAAAAAAAAAAAAAAAAAAA'))
    expect(id).not.toBe(await documentIdFor('AAAAAAAAAAAAAAAAAAAAAB'))
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
  it('keeps the peer id and token for the tab, and the name for next time', () => {
    const session = new MemoryStorage()
    const local = new MemoryStorage()
    const first = loadIdentity(session)
    expect(first.peerId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(loadIdentity(session)).toEqual(first) // a reload
    expect(loadIdentity(new MemoryStorage())).not.toEqual(first) // another tab
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
    const stored = loadIdentity(session)
    const locks = new FakeLocks()
    expect(await claimIdentity(session, locks)).toEqual({ identity: stored, duplicated: false })
    expect([...locks.held]).toEqual([`theatron:peer:${stored.peerId}`])
    // Without Web Locks: as stored.
    expect(await claimIdentity(session, undefined)).toEqual({ identity: stored, duplicated: false })
  })

  it('a reload waits for the old page to let go of the lock, and stays the same member', async () => {
    const session = new MemoryStorage()
    const locks = new FakeLocks()
    const { identity } = await claimIdentity(session, locks)
    const reloaded = claimIdentity(session, locks)
    setTimeout(() => locks.release(`theatron:peer:${identity.peerId}`), 20)
    expect(await reloaded).toEqual({ identity, duplicated: false })
  })

  it('a duplicated tab (its sessionStorage copied) becomes a new member, saved for its own reloads', async () => {
    const original = new MemoryStorage()
    const locks = new FakeLocks()
    const { identity } = await claimIdentity(original, locks)
    const copy = new MemoryStorage()
    copy.setItem('theatron:peer', original.getItem('theatron:peer')!)
    const started = Date.now()
    const duplicate = await claimIdentity(copy, locks)
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDENTITY_RELEASE_WAIT_MS - 50)
    expect(duplicate.duplicated).toBe(true)
    expect(duplicate.identity.peerId).not.toBe(identity.peerId)
    expect(duplicate.identity.token).not.toBe(identity.token)
    expect(loadIdentity(copy)).toEqual(duplicate.identity)
    expect(loadIdentity(original)).toEqual(identity)
    expect(locks.held).toEqual(
      new Set([`theatron:peer:${identity.peerId}`, `theatron:peer:${duplicate.identity.peerId}`]),
    )
  })
})
