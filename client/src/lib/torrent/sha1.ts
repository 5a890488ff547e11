/**
 * SHA-1 for hashing a dropped file's pieces (torrent/piece-hash.ts): the browser's WebCrypto, or hash-wasm's
 * WebAssembly SHA-1, whichever is faster in this browser. Each hashing worker measures both once, on a
 * sample of its own, while its first read is under way (`pickSha1`), and keeps the faster one whose digests
 * agree with WebCrypto's.
 *
 * Why both: WebCrypto is the browser's own, and as fast as the CPU where it can take its input cheaply (1.2
 * GB/s in Chromium 156 here). It copies its input first, and where fresh memory is dear a copy of 1 MiB or more
 * costs it most of that: Debian's Chromium 150 on the machine of 2026-12-07 digests 1.65 GB/s up to 512 KiB and
 * 0.3 GB/s for a film's 1 MiB pieces, against the WebAssembly SHA-1's 0.59 GB/s a worker at any size
 * (docs/benchmarks.md, "This machine's fresh memory"). WebCrypto stays the reference: the WebAssembly one is
 * used only while it gives the same digests.
 */
import { createSHA1 } from 'hash-wasm'
import { sameBytes } from '../bytes.ts'

/**
 * The 20-byte SHA-1 of `bytes`. It takes its copy of `bytes` before it returns (WebCrypto's `digest` does, by
 * its specification; the WebAssembly one hashes at once), so the caller may reuse the buffer right away.
 */
export type Sha1 = (bytes: Uint8Array) => Promise<Uint8Array>

export type Sha1Name = 'webcrypto' | 'wasm'

export interface Sha1Candidate {
  name: Sha1Name
  sha1: Sha1
}

/** The browser's native SHA-1. */
export const webCryptoSha1: Sha1 = async (bytes) =>
  new Uint8Array(await crypto.subtle.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>))

/**
 * hash-wasm's SHA-1: one instance, reset for each call. Its work is synchronous, so calls cannot interleave.
 * Rejects where WebAssembly may not be compiled (a Content-Security-Policy without `'wasm-unsafe-eval'`).
 */
export async function wasmSha1(): Promise<Sha1> {
  const hasher = await createSHA1()
  return (bytes) => {
    hasher.init()
    hasher.update(bytes)
    return Promise.resolve(hasher.digest('binary'))
  }
}

/** One candidate's measurement: its fastest round on the sample, and whether every digest matched. */
export interface Sha1Trial {
  name: Sha1Name
  ms: number
  matched: boolean
}

/** The trial to use: the fastest that matched the reference; the reference (the first) when none did. */
export function fastestSha1(trials: readonly Sha1Trial[]): Sha1Name {
  const reference = trials[0]
  if (!reference) throw new Error('no SHA-1 to choose from')
  let best = reference
  for (const trial of trials) if (trial.matched && trial.ms < best.ms) best = trial
  return best.name
}

/** What `pickSha1` chose, with the trials it chose from. */
export interface Sha1Report {
  name: Sha1Name
  trials: Sha1Trial[]
}

export interface Sha1Choice extends Sha1Report {
  sha1: Sha1
}

/**
 * The sample each candidate digests by default: a film's piece. The trial should digest what the hashing will:
 * Chromium's WebCrypto copies its input first, and a copy of 1 MiB or more costs it several times a smaller
 * one's rate on a machine where fresh memory is dear (1.65 GB/s for 512 KiB inputs, 0.3 GB/s for 1 MiB ones on
 * the machine of 2026-12-07), so the hashing worker passes its piece length (`chooseSha1`).
 */
export const SAMPLE_BYTES = 1024 * 1024
/** The largest sample: a trial of bigger pieces would cost more than it tells. */
export const MAX_SAMPLE_BYTES = 4 * 1024 * 1024
const ROUNDS = 3

/**
 * Times each candidate on `sample` over `rounds` rounds, alternating which goes first, after one untimed call
 * each (WebAssembly's first call still compiles), and answers the fastest whose digests all equal the first
 * candidate's (the reference). Each is judged by its fastest round: a worker starts while the page's other
 * workers start too, and a round that something else interrupted says nothing of the SHA-1. A candidate that
 * fails or disagrees is never chosen.
 */
export async function pickSha1(
  candidates: readonly Sha1Candidate[],
  sample: Uint8Array = defaultSample(),
  { rounds = ROUNDS, now = () => performance.now() }: { rounds?: number; now?: () => number } = {},
): Promise<Sha1Choice> {
  const reference = candidates[0]
  if (!reference) throw new Error('no SHA-1 to choose from')
  const expected = await reference.sha1(sample)
  const trials: Sha1Trial[] = candidates.map(({ name }) => ({ name, ms: Infinity, matched: true }))
  for (const [at, candidate] of candidates.entries()) {
    if (at === 0) continue
    const trial = trials[at] as Sha1Trial
    trial.matched = await candidate.sha1(sample).then(
      (digest) => sameBytes(digest, expected),
      () => false,
    )
  }
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const at = (round + i) % candidates.length
      const candidate = candidates[at] as Sha1Candidate
      const trial = trials[at] as Sha1Trial
      if (!trial.matched) continue
      const start = now()
      try {
        trial.matched = sameBytes(await candidate.sha1(sample), expected)
      } catch {
        trial.matched = false
      }
      trial.ms = Math.min(trial.ms, now() - start)
    }
  }
  const name = fastestSha1(trials)
  const chosen = candidates.find((candidate) => candidate.name === name) as Sha1Candidate
  return { name, sha1: chosen.sha1, trials }
}

/**
 * WebCrypto and, where WebAssembly compiles, hash-wasm, timed against each other (`pickSha1`) on a sample of
 * `sampleBytes` (the pieces' length; at most `MAX_SAMPLE_BYTES`). Without WebAssembly it is WebCrypto alone.
 */
export async function chooseSha1(sampleBytes = SAMPLE_BYTES): Promise<Sha1Choice> {
  const candidates: Sha1Candidate[] = [{ name: 'webcrypto', sha1: webCryptoSha1 }]
  const wasm = await wasmSha1().catch(() => null)
  if (wasm) candidates.push({ name: 'wasm', sha1: wasm })
  return pickSha1(candidates, defaultSample(Math.min(sampleBytes, MAX_SAMPLE_BYTES)))
}

function defaultSample(size = SAMPLE_BYTES): Uint8Array {
  const sample = new Uint8Array(size)
  for (let i = 0; i < sample.length; i++) sample[i] = (i * 31) & 0xff
  return sample
}

/** A report as a trace step's detail: the choice, and each candidate's time in ms, or `failed`. */
export function sha1Detail({ name, trials }: Sha1Report): Record<string, string | number> {
  const detail: Record<string, string | number> = { sha1: name }
  for (const trial of trials) detail[trial.name] = trial.matched ? Math.round(trial.ms * 10) / 10 : 'failed'
  return detail
}

/**
 * A `Sha1` that hashes with `choice`'s once it is made. Until then it copies each input and hashes the copy
 * when the choice comes, so it still takes its copy before it returns: the caller may reuse its buffer at once.
 */
export function sha1When(choice: Promise<Sha1Choice>): Sha1 {
  let chosen: Sha1 | null = null
  void choice.then(
    ({ sha1 }) => (chosen = sha1),
    () => {},
  )
  return (bytes) => {
    if (chosen) return chosen(bytes)
    const copy = bytes.slice()
    return choice.then(({ sha1 }) => sha1(copy))
  }
}
