import { describe, expect, it } from 'vitest'
import { formatBytes, formatClock, formatSpeed, percent } from '../../src/lib/stream/format.ts'

describe('format', () => {
  it.each([
    [0, '0 B'],
    [-5, '0 B'],
    [Number.NaN, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [20 * 1024, '20 KiB'],
    [3.25 * 1024 ** 3, '3.3 GiB'],
  ])('formatBytes(%s) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text))

  it('speeds and percentages', () => {
    expect(formatSpeed(2048)).toBe('2.0 KiB/s')
    expect(percent(0.424)).toBe(42)
    expect(percent(1.2)).toBe(100)
    expect(percent(-1)).toBe(0)
    expect(percent(Number.NaN)).toBe(0)
  })

  it.each([
    [0, '0:00'],
    [59.9, '0:59'],
    [723, '12:03'],
    [3723, '1:02:03'],
    [-5, '0:00'],
    [Number.NaN, '0:00'],
    [Number.POSITIVE_INFINITY, '0:00'],
  ])('formatClock(%s) = %s', (seconds, text) => expect(formatClock(seconds)).toBe(text))
})
