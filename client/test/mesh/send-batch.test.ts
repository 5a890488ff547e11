import { describe, expect, it } from 'vitest'
import { SendBatch } from '../../src/lib/mesh/send-batch.ts'

const bytes = (...values: number[]) => new Uint8Array(values)

/** Resolves once the microtasks queued so far, and those they queue, have run. */
const settled = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('SendBatch', () => {
  it('sends the chunks written in one go as one message, in order', async () => {
    const sent: number[][] = []
    const batch = new SendBatch((message) => sent.push([...message]))
    batch.write(bytes(1, 2))
    batch.write(bytes(3))
    batch.write(bytes(4, 5, 6))
    expect(sent).toEqual([])
    expect(batch.pendingBytes).toBe(6)
    await settled()
    expect(sent).toEqual([[1, 2, 3, 4, 5, 6]])
    expect(batch.pendingBytes).toBe(0)
  })

  it('waits for writes that come in later microtasks of the same task', async () => {
    const sent: number[][] = []
    const batch = new SendBatch((message) => sent.push([...message]))
    batch.write(bytes(1))
    // As a stream pipeline does: each write a few microtasks after the one before.
    void Promise.resolve()
      .then(() => batch.write(bytes(2)))
      .then(() => Promise.resolve())
      .then(() => batch.write(bytes(3)))
    await settled()
    expect(sent).toEqual([[1, 2, 3]])
  })

  it('never makes a message larger than its maximum; a larger chunk goes alone, unsplit', async () => {
    const sent: number[][] = []
    const batch = new SendBatch((message) => sent.push([...message]), 4)
    batch.write(bytes(1, 2, 3))
    batch.write(bytes(4, 5))
    batch.write(bytes(6, 7, 8, 9, 10))
    batch.write(bytes(11))
    await settled()
    expect(sent).toEqual([[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11]])
  })

  it('sends a full batch at once, without waiting for a microtask', () => {
    const sent: number[][] = []
    const batch = new SendBatch((message) => sent.push([...message]), 4)
    batch.write(bytes(1, 2))
    batch.write(bytes(3, 4))
    expect(sent).toEqual([[1, 2, 3, 4]])
  })

  it('flush sends what is gathered now; clear drops it', async () => {
    const sent: number[][] = []
    const batch = new SendBatch((message) => sent.push([...message]))
    batch.write(bytes(1))
    batch.flush()
    expect(sent).toEqual([[1]])
    batch.write(bytes(2))
    batch.clear()
    batch.flush()
    await settled()
    expect(sent).toEqual([[1]])
  })
})
