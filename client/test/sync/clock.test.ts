import { describe, expect, it } from 'vitest'
import {
  CLOCK_BURST_COUNT,
  CLOCK_BURST_INTERVAL_MS,
  CLOCK_REFRESH_INTERVAL_MS,
  CLOCK_WARMUP_COUNT,
  CLOCK_WARMUP_INTERVAL_MS,
  CLOCK_WINDOW,
  ClockSync,
  createAppClock,
  measureSample,
  OffsetEstimator,
  readClockSkew,
  type ClockPing,
  type ClockPong,
} from '../../src/lib/sync/clock.ts'

/** One exchange between a local clock and a remote clock `skew` ahead, with the given one-way delays. */
function exchange(t0: number, skew: number, out: number, back: number, hold = 1) {
  const t1 = t0 + out + skew
  const t2 = t1 + hold
  const t3 = t2 - skew + back
  return { t0, t1, t2, t3 }
}

describe('measureSample', () => {
  const cases = [
    { name: 'symmetric, no skew', skew: 0, out: 20, back: 20, offset: 0, rtt: 40 },
    { name: 'symmetric, remote 2.5 s ahead', skew: 2500, out: 20, back: 20, offset: 2500, rtt: 40 },
    { name: 'symmetric, remote 1.8 s behind', skew: -1800, out: 7, back: 7, offset: -1800, rtt: 14 },
    // Asymmetry is invisible to NTP: the error is half the difference, and bounded by rtt/2.
    { name: 'asymmetric 10/50', skew: 1000, out: 10, back: 50, offset: 980, rtt: 60 },
    { name: 'asymmetric 50/10', skew: -1000, out: 50, back: 10, offset: -980, rtt: 60 },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const m = measureSample(exchange(10_000, c.skew, c.out, c.back, 3))
      expect(m?.offset).toBeCloseTo(c.offset, 9)
      expect(m?.rtt).toBeCloseTo(c.rtt, 9)
      expect(Math.abs(m!.offset - c.skew)).toBeLessThanOrEqual(m!.rtt / 2)
    })
  }

  it('rejects impossible samples', () => {
    expect(measureSample({ t0: 100, t1: 5000, t2: 5001, t3: 99 })).toBeUndefined()
    expect(measureSample({ t0: 100, t1: 5000, t2: 4990, t3: 200 })).toBeUndefined()
    expect(measureSample({ t0: NaN, t1: 1, t2: 2, t3: 3 })).toBeUndefined()
  })
})

describe('OffsetEstimator', () => {
  it('keeps the sample with the smallest round trip', () => {
    const e = new OffsetEstimator()
    const delays: [number, number][] = [
      [80, 20], // 30 ms error
      [15, 15], // exact, rtt 30
      [200, 40],
      [12, 60],
    ]
    for (const [out, back] of delays) e.add(exchange(1000, 2000, out, back))
    expect(e.estimate()).toMatchObject({ offset: 2000, rtt: 30, samples: 4 })
  })

  it(`forgets samples older than the last ${CLOCK_WINDOW}`, () => {
    const e = new OffsetEstimator()
    e.add(exchange(0, 500, 1, 1)) // excellent but old
    for (let i = 0; i < CLOCK_WINDOW; i++) e.add(exchange(i * 1000, 700, 20, 20))
    expect(e.estimate()).toMatchObject({ offset: 700, samples: CLOCK_WINDOW })
  })

  it('confidence grows with samples and falls with the round trip', () => {
    const few = new OffsetEstimator()
    few.add(exchange(0, 0, 10, 10))
    const many = new OffsetEstimator()
    const slow = new OffsetEstimator()
    for (let i = 0; i < CLOCK_BURST_COUNT; i++) {
      many.add(exchange(i, 0, 10, 10))
      slow.add(exchange(i, 0, 300, 300))
    }
    expect(few.estimate()!.confidence).toBeLessThan(many.estimate()!.confidence)
    expect(slow.estimate()!.confidence).toBeLessThan(many.estimate()!.confidence)
    expect(new OffsetEstimator().estimate()).toBeUndefined()
  })
})

describe('ClockSync', () => {
  /** Two instances wired through a fake network with asymmetric delays; B's clock is 3 s ahead. */
  function pair() {
    let now = 50_000
    const skew = 3_000
    const queue: { at: number; to: 'a' | 'b'; message: ClockPing | ClockPong }[] = []
    const delay = { a: 25, b: 15 } // to a: 25 ms, to b: 15 ms
    const a: ClockSync = new ClockSync({
      now: () => now,
      send: (m) => queue.push({ at: now + delay.b, to: 'b', message: m }),
    })
    const b: ClockSync = new ClockSync({
      now: () => now + skew,
      send: (m) => queue.push({ at: now + delay.a, to: 'a', message: m }),
    })
    const flush = () => {
      while (queue.length > 0) {
        queue.sort((x, y) => x.at - y.at)
        const next = queue.shift()!
        now = next.at
        const target = next.to === 'a' ? a : b
        if (next.message.type === 'sync/ping') target.handlePing(next.message)
        else target.handlePong(next.message)
      }
    }
    return { a, b, flush, skew }
  }

  it('estimates a skew of seconds within rtt/2 through ping/pong', () => {
    const { a, flush, skew } = pair()
    for (let i = 0; i < 5; i++) {
      a.ping()
      flush()
    }
    const estimate = a.estimate()!
    expect(estimate.samples).toBe(5)
    expect(estimate.rtt).toBe(40)
    expect(estimate.offset).toBe(skew - 5) // (15 − 25) / 2: the asymmetry error, within rtt/2
  })

  it('rejects unknown, replayed and forged pongs', () => {
    const sent: (ClockPing | ClockPong)[] = []
    let now = 0
    const c = new ClockSync({ now: () => now, send: (m) => sent.push(m) })
    const ping = c.ping()
    now = 40
    expect(c.handlePong({ type: 'sync/pong', id: 99, t0: 0, t1: 10, t2: 11 })).toBe(false)
    expect(c.handlePong({ type: 'sync/pong', id: ping.id, t0: 5, t1: 10, t2: 11 })).toBe(false)
    expect(c.handlePong({ type: 'sync/pong', id: ping.id, t0: ping.t0, t1: 10, t2: 11 })).toBe(true)
    expect(c.handlePong({ type: 'sync/pong', id: ping.id, t0: ping.t0, t1: 10, t2: 11 })).toBe(false)
    expect(c.estimate()?.samples).toBe(1)
  })

  it('answers pings with its receive and send times', () => {
    const sent: (ClockPing | ClockPong)[] = []
    const c = new ClockSync({ now: () => 777, send: (m) => sent.push(m) })
    c.handlePing({ type: 'sync/ping', id: 4, t0: 12 }, 770)
    expect(sent).toEqual([{ type: 'sync/pong', id: 4, t0: 12, t1: 770, t2: 777 }])
  })

  it('bursts at start, warms up, then refreshes slowly', () => {
    const c = new ClockSync({ now: () => 0, send: () => {} })
    const delays: number[] = []
    for (let i = 0; i < CLOCK_WARMUP_COUNT + 2; i++) {
      delays.push(c.nextPingDelayMs())
      c.ping()
    }
    expect(delays.slice(0, CLOCK_BURST_COUNT).every((d) => d === CLOCK_BURST_INTERVAL_MS)).toBe(true)
    const warmup = delays.slice(CLOCK_BURST_COUNT, CLOCK_WARMUP_COUNT)
    expect(warmup).toHaveLength(CLOCK_WARMUP_COUNT - CLOCK_BURST_COUNT)
    expect(warmup.every((d) => d === CLOCK_WARMUP_INTERVAL_MS)).toBe(true)
    expect(delays.slice(CLOCK_WARMUP_COUNT)).toEqual([CLOCK_REFRESH_INTERVAL_MS, CLOCK_REFRESH_INTERVAL_MS])
  })
})

describe('app clock', () => {
  const storage = (value: string | null) => ({ getItem: () => value })
  const skews: [string | null, number][] = [
    ['1500', 1500],
    ['-2000', -2000],
    [' 250.5 ', 250.5],
    [null, 0],
    ['', 0],
    ['abc', 0],
    ['Infinity', 0],
    ['1e12', 0],
    ['NaN', 0],
  ]
  for (const [raw, skew] of skews) {
    it(`skew ${JSON.stringify(raw)} → ${skew}`, () => expect(readClockSkew(storage(raw))).toBe(skew))
  }

  it('ignores storage that throws or is missing', () => {
    expect(
      readClockSkew({
        getItem: () => {
          throw new Error('SecurityError')
        },
      }),
    ).toBe(0)
    expect(readClockSkew(undefined)).toBe(0)
  })

  it('is timeOrigin + now + skew, with the skew read once at creation', () => {
    let raw = '-1500'
    let t = 10
    const clock = createAppClock({
      time: { timeOrigin: 1_000_000, now: () => t },
      storage: { getItem: () => raw },
    })
    expect(clock.now()).toBe(1_000_000 + 10 - 1500)
    raw = '900'
    t = 20
    expect(clock.now()).toBe(1_000_000 + 20 - 1500)
  })
})
