import { describe, expect, it } from 'vitest'
import { BUFFER_GAP_S, bufferedAhead, rangeEnd } from '../../src/lib/media/buffered.ts'

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
