import { describe, expect, it } from 'vitest'
import {
  checkInPage,
  PieceChecker,
  type CheckAnswer,
  type CheckRequest,
  type CheckWorker,
} from '../../src/lib/torrent/piece-check.ts'
import { wasmSha1 } from '../../src/lib/torrent/sha1.ts'

/**
 * A stand-in for the check worker that crosses as a real one does (what is transferred leaves the sender)
 * and answers as torrent/piece-check-worker.ts does, once `answer` is called.
 */
class FakeCheckWorker implements CheckWorker {
  onmessage: ((event: MessageEvent<CheckAnswer>) => void) | null = null
  onerror: ((event: ErrorEvent) => void) | null = null
  readonly received: CheckRequest[] = []

  postMessage(request: CheckRequest, transfer: Transferable[]): void {
    this.received.push(structuredClone(request, { transfer }))
  }

  async answer(fail = false): Promise<void> {
    const sha1 = await wasmSha1()
    for (const { id, bytes } of this.received.splice(0)) {
      const answer: CheckAnswer = fail
        ? { id, bytes, error: 'no SHA-1' }
        : { id, bytes, digest: await sha1(bytes) }
      this.onmessage?.({
        data: structuredClone(answer, { transfer: [bytes.buffer] }),
      } as MessageEvent<CheckAnswer>)
    }
  }
}

const piece = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13) % 251)
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('checking a piece in a worker', () => {
  it('moves the bytes there and back, and digests them as WebCrypto does', async () => {
    const worker = new FakeCheckWorker()
    const checker = new PieceChecker(() => worker)
    const bytes = piece(300_000)
    const expected = await checkInPage(bytes.slice())
    const checked = checker.check(bytes)
    expect(bytes.byteLength).toBe(0) // moved, not copied
    await worker.answer()
    const { digest, bytes: back } = await checked
    expect(hexOf(digest)).toBe(hexOf(expected.digest))
    expect(back).toEqual(piece(300_000))
  })

  it('answers each piece by its id, in any order', async () => {
    const worker = new FakeCheckWorker()
    const checker = new PieceChecker(() => worker)
    const first = checker.check(piece(1000))
    const second = checker.check(piece(2000))
    worker.received.reverse()
    await worker.answer()
    expect((await first).bytes.length).toBe(1000)
    expect((await second).bytes.length).toBe(2000)
  })

  it('a piece the worker could not digest fails; a failed worker fails what it holds, then the page digests', async () => {
    const worker = new FakeCheckWorker()
    let started = 0
    const checker = new PieceChecker(() => (started++, worker))
    const refused = checker.check(piece(10))
    await worker.answer(true)
    await expect(refused).rejects.toThrow('the piece could not be digested: no SHA-1')

    const held = checker.check(piece(10))
    worker.onerror?.({ message: 'could not load', preventDefault: () => {} } as ErrorEvent)
    await expect(held).rejects.toThrow('the piece-check worker failed: could not load')
    const bytes = piece(5000)
    const { digest, bytes: same } = await checker.check(bytes)
    expect(same).toBe(bytes) // digested on the page, where the bytes stay
    expect(hexOf(digest)).toBe(hexOf((await checkInPage(piece(5000))).digest))
    expect(started).toBe(1)
  })

  it('without a worker, the page digests', async () => {
    const checker = new PieceChecker(() => null)
    const bytes = piece(100)
    const { bytes: same, digest } = await checker.check(bytes)
    expect(same).toBe(bytes)
    expect(digest).toHaveLength(20)
  })
})
