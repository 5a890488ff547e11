/** Choosing the SHA-1 that hashes a dropped file's pieces (torrent/sha1.ts). */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  chooseSha1,
  fastestSha1,
  pickSha1,
  sha1Detail,
  sha1When,
  wasmSha1,
  webCryptoSha1,
  type Sha1,
  type Sha1Candidate,
  type Sha1Choice,
} from '../../src/lib/torrent/sha1.ts'

const sample = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 13) % 256)
const nodeSha1 = (bytes: Uint8Array) => new Uint8Array(createHash('sha1').update(bytes).digest())

/**
 * A clock that each candidate moves by its own cost, so the timings are exact: a number for every call, or one
 * per call in turn (the reference's first call and every other's untimed first call included).
 */
function clocked(costs: Record<string, number | number[]>, sha1s: Record<string, Sha1>) {
  let t = 0
  const candidates = Object.entries(sha1s).map(([name, sha1]): Sha1Candidate => {
    let calls = 0
    return {
      name: name as Sha1Candidate['name'],
      sha1: async (bytes) => {
        const cost = costs[name] ?? 0
        t += typeof cost === 'number' ? cost : (cost[calls] ?? 0)
        calls++
        return sha1(bytes)
      },
    }
  })
  return { candidates, now: () => t }
}

describe('the SHA-1 a hashing worker uses', () => {
  it('both give SHA-1: the empty input, "abc" and a larger sample', async () => {
    const wasm = await wasmSha1()
    const hex = async (sha1: Sha1, bytes: Uint8Array) => Buffer.from(await sha1(bytes)).toString('hex')
    for (const sha1 of [webCryptoSha1, wasm]) {
      expect(await hex(sha1, new Uint8Array())).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
      expect(await hex(sha1, new TextEncoder().encode('abc'))).toBe(
        'a9993e364706816aba3e25717850c26c9cd0d89d',
      )
      expect(await sha1(sample)).toEqual(nodeSha1(sample))
    }
  })

  it('the WebAssembly one starts afresh on every call', async () => {
    const wasm = await wasmSha1()
    await wasm(sample)
    expect(await wasm(sample.subarray(5))).toEqual(nodeSha1(sample.subarray(5)))
  })

  it('picks the faster of two that agree', async () => {
    const { candidates, now } = clocked(
      { webcrypto: 4, wasm: 2 },
      { webcrypto: webCryptoSha1, wasm: webCryptoSha1 },
    )
    const choice = await pickSha1(candidates, sample, { now })
    expect(choice.name).toBe('wasm')
    expect(choice.trials).toEqual([
      { name: 'webcrypto', ms: 4, matched: true },
      { name: 'wasm', ms: 2, matched: true },
    ])
    expect(await choice.sha1(sample)).toEqual(nodeSha1(sample))
  })

  it('judges each by its fastest round: neither a slow first call nor one interrupted round decides', async () => {
    const { candidates, now } = clocked(
      { webcrypto: 4, wasm: [90, 2, 50, 2] },
      { webcrypto: webCryptoSha1, wasm: webCryptoSha1 },
    )
    const choice = await pickSha1(candidates, sample, { now })
    expect(choice.name).toBe('wasm')
    expect(choice.trials[1]?.ms).toBe(2)
  })

  it('keeps the reference when it is the faster', async () => {
    const { candidates, now } = clocked(
      { webcrypto: 1, wasm: 2 },
      { webcrypto: webCryptoSha1, wasm: webCryptoSha1 },
    )
    expect((await pickSha1(candidates, sample, { now })).name).toBe('webcrypto')
  })

  it('never picks one whose digests differ from the reference, however fast', async () => {
    const wrong: Sha1 = async (bytes) => nodeSha1(bytes.subarray(1))
    const { candidates, now } = clocked({ webcrypto: 5, wasm: 1 }, { webcrypto: webCryptoSha1, wasm: wrong })
    const choice = await pickSha1(candidates, sample, { now })
    expect(choice.name).toBe('webcrypto')
    expect(choice.trials[1]?.matched).toBe(false)
  })

  it('never picks one that fails', async () => {
    const failing: Sha1 = () => Promise.reject(new Error('WebAssembly.instantiate(): refused by CSP'))
    const { candidates, now } = clocked(
      { webcrypto: 5, wasm: 1 },
      { webcrypto: webCryptoSha1, wasm: failing },
    )
    expect((await pickSha1(candidates, sample, { now })).name).toBe('webcrypto')
  })

  it('the choice: the fastest that matched, else the first', () => {
    expect(
      fastestSha1([
        { name: 'webcrypto', ms: 9, matched: true },
        { name: 'wasm', ms: 3, matched: true },
      ]),
    ).toBe('wasm')
    expect(
      fastestSha1([
        { name: 'webcrypto', ms: 9, matched: true },
        { name: 'wasm', ms: 3, matched: false },
      ]),
    ).toBe('webcrypto')
    expect(() => fastestSha1([])).toThrow('no SHA-1 to choose from')
  })

  it('chooseSha1 measures both here, on a sample of the given size, and answers one that gives SHA-1', async () => {
    const choice = await chooseSha1(64 * 1024)
    expect(choice.trials.map((trial) => trial.name)).toEqual(['webcrypto', 'wasm'])
    expect(choice.trials.every((trial) => trial.matched && trial.ms > 0)).toBe(true)
    expect(await choice.sha1(sample)).toEqual(nodeSha1(sample))
  })

  it('reads as a trace step: the choice and each time, or failed', () => {
    expect(
      sha1Detail({
        name: 'wasm',
        trials: [
          { name: 'webcrypto', ms: 11.26, matched: true },
          { name: 'wasm', ms: 5.04, matched: true },
        ],
      }),
    ).toEqual({ sha1: 'wasm', webcrypto: 11.3, wasm: 5 })
    expect(sha1Detail({ name: 'webcrypto', trials: [{ name: 'wasm', ms: 0.2, matched: false }] })).toEqual({
      sha1: 'webcrypto',
      wasm: 'failed',
    })
  })

  it('sha1When: a buffer reused before the choice is made still gives its own digest', async () => {
    let choose: (choice: Sha1Choice) => void = () => {}
    const choice = new Promise<Sha1Choice>((resolve) => (choose = resolve))
    const sha1 = sha1When(choice)
    const buffer = Uint8Array.from(sample.subarray(0, 1000))
    const first = sha1(buffer)
    buffer.fill(0) // the caller reuses its buffer at once
    const second = sha1(buffer)
    choose({ name: 'webcrypto', sha1: webCryptoSha1, trials: [] })
    expect(await first).toEqual(nodeSha1(sample.subarray(0, 1000)))
    expect(await second).toEqual(nodeSha1(new Uint8Array(1000)))
    // Once chosen, it hashes with the choice directly.
    buffer.set(sample.subarray(0, 1000))
    const third = sha1(buffer)
    buffer.fill(1)
    expect(await third).toEqual(nodeSha1(sample.subarray(0, 1000)))
  })
})
