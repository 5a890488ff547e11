import { describe, expect, it } from 'vitest'
import { LAG_MAX_MS, LAG_WINDOW_MS, LagMonitor } from '../../src/lib/sync/lag.ts'

describe('LagMonitor', () => {
  it('is the worst lateness of the interval timer over the last window', () => {
    const lag = new LagMonitor()
    expect(lag.recentMs(0)).toBe(0)
    lag.tick(0, 50)
    lag.tick(50, 50) // on time
    lag.tick(112, 50) // 12 ms late
    lag.tick(400, 50) // a 238 ms long task
    lag.tick(450, 50)
    expect(lag.recentMs(450)).toBe(238)
    // A few seconds later, on time since: the spike is forgotten.
    let t = 450
    while (t < 400 + LAG_WINDOW_MS + 100) lag.tick((t += 50), 50)
    expect(lag.recentMs(t)).toBe(0)
  })

  it('early ticks are not negative lag, and one lag counts at most LAG_MAX_MS', () => {
    const lag = new LagMonitor()
    lag.tick(0, 50)
    lag.tick(20, 50)
    expect(lag.recentMs(20)).toBe(0)
    lag.tick(5_000, 50)
    expect(lag.recentMs(5_000)).toBe(LAG_MAX_MS)
  })

  it('a pause (a hidden, throttled tab) does not count the gap that follows', () => {
    const lag = new LagMonitor()
    lag.tick(0, 50)
    lag.pause()
    lag.tick(1_000, 50)
    lag.tick(1_050, 50)
    expect(lag.recentMs(1_050)).toBe(0)
  })
})
