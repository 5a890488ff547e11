import { describe, expect, it } from 'vitest'
import { HeldRead, HeldSpan, HeldSpans } from '../../src/lib/torrent/held-spans.ts'

/** An iterator whose chunks the test hands over one by one (`push`), then ends (`end`) or fails (`fail`). */
function manualRead() {
  const queue: IteratorResult<Uint8Array>[] = []
  let failure: Error | null = null
  let waiting: (() => void) | null = null
  const wake = () => {
    waiting?.()
    waiting = null
  }
  const iterator: AsyncIterator<Uint8Array> = {
    async next() {
      for (;;) {
        const item = queue.shift()
        if (item) return item
        if (failure) throw failure
        await new Promise<void>((resolve) => (waiting = resolve))
      }
    },
  }
  return {
    iterator,
    push: (bytes: number[]) => (queue.push({ done: false, value: new Uint8Array(bytes) }), wake()),
    end: () => (queue.push({ done: true, value: undefined }), wake()),
    fail: () => ((failure = new Error('link gone')), wake()),
  }
}

/** A read of the owner that records where it was asked to start. */
function owner(asked: string[]) {
  return (start: number, stop: number): AsyncIterator<Uint8Array> => {
    asked.push(`${start}-${stop}`)
    let done = false
    return {
      next: async () => {
        if (done) return { done: true, value: undefined }
        done = true
        return { done: false, value: new Uint8Array(stop - start).fill(9) }
      },
    }
  }
}

describe('a held span', () => {
  it('hands its first bytes to a read before the rest of it is in', async () => {
    const span = new HeldSpan(0, 100, 106)
    const read = manualRead()
    const filled = span.fill(read.iterator)
    const asked: string[] = []
    const reading = new HeldRead(span, 100, 110, owner(asked), 1024)
    // The rest past the span is asked for at once.
    expect(asked).toEqual(['106-110'])
    const first = reading.next()
    read.push([1, 2, 3])
    expect(await first).toEqual({ done: false, value: new Uint8Array([1, 2, 3]) })
    read.push([4, 5, 6])
    read.end()
    expect(await reading.next()).toEqual({ done: false, value: new Uint8Array([4, 5, 6]) })
    expect(await filled).toBe(6)
    expect(await reading.next()).toEqual({ done: false, value: new Uint8Array(4).fill(9) })
    expect((await reading.next()).done).toBe(true)
  })

  it('a read from inside it gets the bytes from there, at most `hand` at once', async () => {
    const span = new HeldSpan(0, 0, 8)
    const read = manualRead()
    read.push([0, 1, 2, 3])
    read.push([4, 5, 6, 7])
    read.end()
    await span.fill(read.iterator)
    const reading = new HeldRead(span, 2, 7, owner([]), 3)
    expect((await reading.next()).value).toEqual(new Uint8Array([2, 3]))
    expect((await reading.next()).value).toEqual(new Uint8Array([4, 5, 6]))
    expect((await reading.next()).done).toBe(true)
  })

  it('where its read ended short, the read goes on from the owner from there', async () => {
    const span = new HeldSpan(0, 0, 10)
    const read = manualRead()
    const filled = span.fill(read.iterator)
    read.push([1, 2, 3, 4])
    read.fail()
    expect(await filled).toBe(4)
    const asked: string[] = []
    const reading = new HeldRead(span, 0, 10, owner(asked), 1024)
    expect((await reading.next()).value).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect((await reading.next()).value).toEqual(new Uint8Array(6).fill(9))
    expect(asked).toEqual(['4-10'])
    expect((await reading.next()).done).toBe(true)
  })

  it('is let go once a read reaches its end, and nothing is held once reading began', () => {
    const spans = new HeldSpans()
    const span = new HeldSpan(0, 0, 100)
    expect(spans.add(span)).toBe(true)
    expect(spans.add(new HeldSpan(0, 0, 50))).toBe(false)
    expect(spans.take(0, 0, 40)).toBe(span)
    expect(spans.take(0, 40, 100)).toBe(span)
    expect(spans.take(0, 40, 100)).toBeNull()
    expect(spans.add(new HeldSpan(0, 200, 300))).toBe(false)
  })
})
