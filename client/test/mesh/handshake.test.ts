import { describe, expect, it } from 'vitest'
import {
  Handshake,
  type Fingerprints,
  type HandshakeFailure,
  type Proof,
} from '../../src/lib/mesh/handshake.ts'
import { newHandshake } from '../../src/lib/mesh/trust.ts'
import { roomKeyFor, testMember, testMembers, type TestMember } from './fakes.ts'

const FP_A = 'sha-256 AA:AA'
const FP_B = 'sha-256 BB:BB'
const seenBy = { a: { local: FP_A, remote: FP_B }, b: { local: FP_B, remote: FP_A } }

/** Both hellos exchanged; returns the two handshakes. */
async function exchanged(a: TestMember, b: TestMember, kind: 'pipe' | 'webrtc' = 'pipe') {
  const ha = newHandshake(a.trust, kind, b.id)
  const hb = newHandshake(b.trust, kind, a.id)
  expect(await ha.acceptHello(hb.hello)).toBeNull()
  expect(await hb.acceptHello(ha.hello)).toBeNull()
  return { ha, hb }
}

async function proofOf(handshake: Handshake, fingerprints?: Fingerprints): Promise<Proof> {
  const proof = await handshake.proof(fingerprints)
  if (typeof proof === 'string') throw new Error(proof)
  return proof
}

describe('link handshake', () => {
  it('both sides verify each other: the public key and a shared transcript', async () => {
    const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
    const { ha, hb } = await exchanged(a, b, 'webrtc')
    const va = await ha.verify(await proofOf(hb, seenBy.b), seenBy.a)
    const vb = await hb.verify(await proofOf(ha, seenBy.a), seenBy.b)
    if (typeof va === 'string' || typeof vb === 'string')
      throw new Error(`refused: ${String(va)} ${String(vb)}`)
    expect(va.remotePublicKey).toEqual(b.signer.publicKey)
    expect(vb.remotePublicKey).toEqual(a.signer.publicKey)
    expect(va.transcriptHash).toEqual(vb.transcriptHash)
  })

  type Case = { name: string; expected: HandshakeFailure; run: () => Promise<HandshakeFailure | null> }
  const cases: Case[] = [
    {
      name: 'a proof made without the room key',
      expected: 'bad-proof',
      run: async () => {
        const [a] = await testMembers(1)
        const stranger = await testMember(await roomKeyFor())
        const ha = newHandshake(a!.trust, 'pipe', stranger.id)
        const hs = newHandshake(stranger.trust, 'pipe', a!.id)
        await ha.acceptHello(hs.hello)
        await hs.acceptHello(ha.hello)
        return failure(await ha.verify(await proofOf(hs)))
      },
    },
    {
      name: "a replayed transcript: an earlier handshake's hello and proof against a fresh nonce",
      expected: 'bad-proof',
      run: async () => {
        const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
        const earlier = await exchanged(a, b)
        const recorded = { hello: earlier.hb.hello, proof: await proofOf(earlier.hb) }
        const fresh = newHandshake(a.trust, 'pipe', b.id) // a's new nonce
        expect(await fresh.acceptHello(recorded.hello)).toBeNull()
        return failure(await fresh.verify(recorded.proof))
      },
    },
    {
      name: 'swapped ids: my own hello reflected back to me',
      expected: 'wrong-id',
      run: async () => {
        const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
        const ha = newHandshake(a.trust, 'pipe', b.id)
        return ha.acceptHello(ha.hello)
      },
    },
    {
      name: 'a hello from a third member on the link to another',
      expected: 'wrong-id',
      run: async () => {
        const [a, b, c] = (await testMembers(3)) as [TestMember, TestMember, TestMember]
        return newHandshake(a.trust, 'pipe', b.id).acceptHello(newHandshake(c.trust, 'pipe', a.id).hello)
      },
    },
    {
      name: "a proof made for the other direction (b's proof of itself sent as if a's)",
      expected: 'bad-proof',
      run: async () => {
        const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
        const { ha } = await exchanged(a, b)
        return failure(await ha.verify(await proofOf(ha)))
      },
    },
    {
      name: 'an id that is not the hash of the key offered with it',
      expected: 'id-not-key',
      run: async () => {
        const [a, b, c] = (await testMembers(3)) as [TestMember, TestMember, TestMember]
        const ha = newHandshake(a.trust, 'pipe', b.id)
        return ha.acceptHello({ ...newHandshake(c.trust, 'pipe', a.id).hello, id: b.id })
      },
    },
    {
      name: 'a changed DTLS fingerprint (a relay rewrote the SDP to sit in the middle)',
      expected: 'bad-proof',
      run: async () => {
        const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
        const { ha, hb } = await exchanged(a, b, 'webrtc')
        const relayed = { local: FP_B, remote: 'sha-256 EE:EE' } // b saw the relay's certificate
        return failure(await ha.verify(await proofOf(hb, relayed), seenBy.a))
      },
    },
    {
      name: "a valid room key but someone else's signature",
      expected: 'bad-signature',
      run: async () => {
        const [a, b, c] = (await testMembers(3)) as [TestMember, TestMember, TestMember]
        const { ha, hb } = await exchanged(a, b)
        const proof = await proofOf(hb)
        const forged = await c.signer.sign(new Uint8Array([1, 2, 3]))
        return failure(await ha.verify({ ...proof, signature: forged }))
      },
    },
    {
      name: 'a proof before any hello',
      expected: 'out-of-order',
      run: async () => {
        const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
        const { hb } = await exchanged(a, b)
        return failure(await newHandshake(a.trust, 'pipe', b.id).verify(await proofOf(hb)))
      },
    },
  ]

  for (const { name, expected, run } of cases) {
    it(`refuses ${name}: ${expected}`, async () => {
      expect(await run()).toBe(expected)
    })
  }

  it('stays refused after a failure, even for a good proof', async () => {
    const [a, b] = (await testMembers(2)) as [TestMember, TestMember]
    const { ha, hb } = await exchanged(a, b)
    const good = await proofOf(hb)
    expect(await ha.verify({ ...good, mac: new Uint8Array(32) })).toBe('bad-proof')
    expect(await ha.verify(good)).toBe('bad-proof')
  })
})

function failure(result: HandshakeFailure | object): HandshakeFailure | null {
  return typeof result === 'string' ? result : null
}
