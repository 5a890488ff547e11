import { describe, expect, it } from 'vitest'
import { handshakeCrypto } from '../../src/lib/mesh/handshake.ts'
import { SecureFrames } from '../../src/lib/mesh/secure-pipe.ts'
import { roomKeyFor, testMembers, type TestMember } from './fakes.ts'

async function pair(roomKey?: CryptoKey) {
  const key = roomKey ?? (await roomKeyFor())
  const [a, b] = (await testMembers(2, key)) as [TestMember, TestMember]
  const transcript = new Uint8Array(32).fill(7)
  const derive = handshakeCrypto(key, a.signer).derive
  return {
    a: new SecureFrames(derive, transcript, a.id, b.id),
    b: new SecureFrames(derive, transcript, b.id, a.id),
  }
}

describe('SecureFrames', () => {
  it('opens what the other side sealed, in order, and the ciphertext hides the text', async () => {
    const { a, b } = await pair()
    const one = await a.seal('the plot twist')
    const two = await a.seal('second')
    expect(one).not.toContain('plot')
    expect(await b.open(one)).toBe('the plot twist')
    expect(await b.open(two)).toBe('second')
    expect(await a.open(await b.seal('back'))).toBe('back')
  })

  it('the same text seals differently each time (the counter is the nonce)', async () => {
    const { a } = await pair()
    expect(await a.seal('same')).not.toBe(await a.seal('same'))
  })

  it('refuses a replayed frame, and opens nothing after it', async () => {
    const { a, b } = await pair()
    const one = await a.seal('once')
    const two = await a.seal('twice')
    expect(await b.open(one)).toBe('once')
    expect(await b.open(one)).toBeNull()
    expect(await b.open(two)).toBeNull()
  })

  it('refuses reordered frames', async () => {
    const { a, b } = await pair()
    const one = await a.seal('first')
    const two = await a.seal('second')
    expect(await b.open(two)).toBeNull()
    expect(await b.open(one)).toBeNull()
  })

  it('refuses a tampered frame, and a frame reflected back to its sender', async () => {
    const { a, b } = await pair()
    const sealed = await a.seal('hello')
    const flipped = (sealed[0] === 'A' ? 'B' : 'A') + sealed.slice(1)
    expect(await b.open(flipped)).toBeNull()
    const other = await pair()
    expect(await other.a.open(await other.a.seal('mine'))).toBeNull()
  })

  it("refuses a frame sealed under another room's key", async () => {
    const ours = await pair()
    const theirs = await pair()
    expect(await ours.b.open(await theirs.a.seal('hi'))).toBeNull()
  })
})
