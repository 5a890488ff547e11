import { describe, expect, it } from 'vitest'
import {
  createRoomSecret,
  documentIdFor,
  isRoomSecret,
  parseRoomHash,
  roomHash,
  roomLink,
} from '../../src/lib/room/link.ts'
import { hex } from '../../src/lib/random.ts'
import { cleanName, loadIdentity, loadName, saveName } from '../../src/lib/room/identity.ts'

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
    expect(isRoomSecret(secret)).toBe(true)
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
