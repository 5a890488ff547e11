import { afterEach, describe, expect, it, vi } from 'vitest'
import { keyframeLookup } from '../../src/lib/media/keyframes.ts'
import { fixture, loggedSource } from './logged-source.ts'

// The fixtures' keyframes, as ffprobe lists them: the WebM's at 0.007, 1.007, 2.007 and 3.007 s (its Cues
// name each), the MP4s' at 0, 1, 2 and 3 s.
describe("a dropped file's keyframes, read from the file for its own player", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("a WebM's, from its Cues; an MP4's, from its sync samples, with its index at either end", async () => {
    for (const [name, expected] of [
      ['vp9-opus.webm', [1.007, 3.007]],
      ['h264-aac.mp4', [1, 3]],
      ['h264-aac-moov-end.mp4', [1, 3]],
    ] as const) {
      const index = keyframeLookup(loggedSource(fixture(name)).source, 0)
      await index.ready
      expect(index.lookup(0.5), name).toBeCloseTo(expected[0], 6)
      expect(index.lookup(2.5), name).toBeCloseTo(expected[1], 6)
      expect(index.lookup(3.5), name).toBeNull()
    }
  })

  it('reads nothing until its delay has passed or a seek asks; that first lookup answers null', async () => {
    vi.useFakeTimers()
    const { source, log } = loggedSource(fixture('vp9-opus.webm'))
    const index = keyframeLookup(source, 5000)
    vi.advanceTimersByTime(4999)
    expect(log).toEqual([])
    expect(index.lookup(0.5)).toBeNull()
    expect(log).toEqual(['read 0'])
    await index.ready
    expect(index.lookup(0.5)).toBeCloseTo(1.007, 6)

    const later = loggedSource(fixture('vp9-opus.webm'))
    const timed = keyframeLookup(later.source, 5000)
    vi.advanceTimersByTime(5000)
    await timed.ready
    expect(later.log[0]).toBe('read 0')
    expect(timed.lookup(0.5)).toBeCloseTo(1.007, 6)
  })

  it('cancelled before its read, reads nothing; a file of another kind answers null', async () => {
    vi.useFakeTimers()
    const { source, log } = loggedSource(fixture('vp9-opus.webm'))
    const index = keyframeLookup(source, 5000)
    index.cancel()
    vi.advanceTimersByTime(10_000)
    await index.ready
    expect(index.lookup(1)).toBeNull()
    expect(log).toEqual([])

    const text = keyframeLookup(loggedSource(new TextEncoder().encode('WEBVTT\n\n'.repeat(100))).source, 0)
    vi.advanceTimersByTime(0)
    await text.ready
    expect(text.lookup(0)).toBeNull()
  })
})
