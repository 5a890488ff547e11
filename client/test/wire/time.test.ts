import { describe, expect, it } from 'vitest'
import { boundTime, MAX_CLOCK_OFFSET_MS, withinDay } from '../../src/lib/wire/time.ts'

describe('boundTime', () => {
  const now = 1_700_000_000_000
  it('keeps a time within a day of ours, either way', () => {
    for (const t of [now, now - MAX_CLOCK_OFFSET_MS, now + MAX_CLOCK_OFFSET_MS, now + 5_000]) {
      expect(withinDay(t, now)).toBe(true)
      expect(boundTime(t, now)).toBe(t)
    }
  })

  it('takes the arrival time for anything further off', () => {
    for (const t of [1e16, 0, -1e16, now + MAX_CLOCK_OFFSET_MS + 1, Number.NaN, Infinity])
      expect(boundTime(t, now)).toBe(now)
  })
})
