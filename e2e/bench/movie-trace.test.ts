import { describe, expect, it } from 'vitest'
import { formatSteps, type Step } from './movie-trace.ts'

describe('formatSteps', () => {
  it('times each updateend against its own append, also when it comes after other steps', () => {
    const steps: Step[] = [
      { ms: 100, name: 'append', detail: { bytes: 1024 * 1024 } },
      { ms: 110, name: 'mse:chunk' },
      { ms: 900, name: 'appended' },
      { ms: 900, name: 'append', detail: { bytes: 512 * 1024 } },
      { ms: 905, name: 'appended' },
      { ms: 950, name: 'seeked' },
    ]
    expect(formatSteps(steps)).toBe(
      '100–100 1×append 1024 KiB, updateend ≤ 0 ms after its append · 110 mse:chunk · ' +
        '900–905 1×append 512 KiB, updateend ≤ 800 ms after its append · 950 seeked',
    )
  })

  it("leaves the data channels' binary messages out and prints their text ones", () => {
    const steps: Step[] = [
      { ms: 10, name: 'dc:send-binary', detail: { c: 5, bytes: 65541, buf: 0 } },
      { ms: 12, name: 'dc:send', detail: { c: 1, bytes: 371, buf: 0 } },
      { ms: 400, name: 'dc:message-binary', detail: { c: 5, bytes: 65541 } },
    ]
    expect(formatSteps(steps)).toBe('12 dc:send c=1,bytes=371,buf=0')
  })
})
