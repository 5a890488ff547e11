import { describe, expect, it } from 'vitest'
import { BUFFER_GAP_S, bufferedAhead, bufferedSpans, rangeEnd } from '../../src/lib/media/buffered.ts'

function ranges(...spans: [number, number][]): TimeRanges {
  return { length: spans.length, start: (i: number) => spans[i]![0], end: (i: number) => spans[i]![1] }
}

describe('what is buffered around the playhead', () => {
  it('finds the range holding a time; a gap before a range counts only when asked for', () => {
    const r = ranges([0.007, 62], [150.014, 160])
    expect(rangeEnd(r, 30)).toBe(62)
    expect(rangeEnd(r, 62)).toBeNull()
    expect(rangeEnd(r, 100)).toBeNull()
    expect(rangeEnd(r, 155)).toBe(160)
    // A seek to 150 s is not buffered (the cluster holding it gets fetched)…
    expect(rangeEnd(r, 150)).toBeNull()
    expect(rangeEnd(r, 0)).toBeNull()
    // …but a playhead just before a range is waiting for it.
    expect(rangeEnd(r, 150, BUFFER_GAP_S)).toBe(160)
    expect(rangeEnd(r, 0, BUFFER_GAP_S)).toBe(62)
    expect(rangeEnd(r, 150.014 - BUFFER_GAP_S - 0.01, BUFFER_GAP_S)).toBeNull()
  })

  const cases: [string, TimeRanges, number, number][] = [
    ['inside a range', ranges([0, 30]), 10, 20],
    ['in the second range', ranges([0, 5], [8, 30]), 10, 20],
    ['in a gap far from the next range', ranges([0, 5], [8, 30]), 6, 0],
    ['a hair before a range', ranges([10.005, 30]), 10, 20],
    ['paused at 0 before the first cluster', ranges([0.007, 62]), 0, 62],
    ['past every range', ranges([0.007, 62]), 70, 0],
    ['with nothing buffered', ranges(), 3, 0],
  ]
  for (const [what, r, t, ahead] of cases)
    it(`measures what lies ahead ${what}`, () => expect(bufferedAhead(r, t)).toBeCloseTo(ahead, 9))
})

describe('the buffered ranges the seek bar paints', () => {
  it('gives each range as percentages of the duration', () => {
    expect(bufferedSpans(ranges([0, 25], [50, 75]), 100)).toEqual([
      { start: 0, end: 25 },
      { start: 50, end: 75 },
    ])
  })

  it('clips to the duration, merges touching ranges, and sorts them', () => {
    expect(bufferedSpans(ranges([30, 40], [-1, 10], [10, 20], [90, 120]), 100)).toEqual([
      { start: 0, end: 20 },
      { start: 30, end: 40 },
      { start: 90, end: 100 },
    ])
  })

  it('shows nothing while the duration is unknown, and skips empty or broken ranges', () => {
    expect(bufferedSpans(ranges([0, 10]), NaN)).toEqual([])
    expect(bufferedSpans(ranges([0, 10]), Infinity)).toEqual([])
    expect(bufferedSpans(ranges([0, 10]), 0)).toEqual([])
    expect(bufferedSpans(ranges([5, 5], [NaN, 8], [120, 130]), 100)).toEqual([])
  })
})
