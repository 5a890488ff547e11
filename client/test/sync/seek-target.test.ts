import { describe, expect, it } from 'vitest'
import { MAX_WITHIN_S, PAST_KEYFRAME_S, seekTarget } from '../../src/lib/sync/seek-target.ts'

describe('where a seek bar seek lands', () => {
  it('just past a keyframe that lies within the pixel the person pointed at', () => {
    expect(seekTarget(832, 1.3, 832.342)).toBeCloseTo(832.342 + PAST_KEYFRAME_S, 9)
    expect(seekTarget(832, 0.342, 832.342)).toBeCloseTo(832.343, 9)
    // A keyframe exactly at the time: the seek still lands past it (a rounding step must not fall before it).
    expect(seekTarget(10, 0.5, 10)).toBeCloseTo(10.001, 9)
  })

  it('at the time itself when the keyframe is further, before it, unknown or not a number', () => {
    expect(seekTarget(832, 0.3, 832.342)).toBe(832)
    expect(seekTarget(832, 1.3, 831.9)).toBe(832)
    expect(seekTarget(832, 1.3, null)).toBe(832)
    expect(seekTarget(832, 1.3, Number.NaN)).toBe(832)
    expect(seekTarget(832, 0, 832)).toBe(832)
    expect(seekTarget(832, -4, 832.1)).toBe(832)
  })

  it('never further than MAX_WITHIN_S from its aim, however long a pixel', () => {
    expect(seekTarget(100, 60, 100 + MAX_WITHIN_S)).toBeCloseTo(100 + MAX_WITHIN_S + PAST_KEYFRAME_S, 9)
    expect(seekTarget(100, 60, 100 + MAX_WITHIN_S + 0.01)).toBe(100)
  })
})
