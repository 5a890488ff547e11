import { describe, expect, it } from 'vitest'
import {
  decide,
  INITIAL_CONTROLLER_STATE,
  PAUSED_TOLERANCE_MS,
  RATE_ENTER_MS,
  RATE_EXIT_MS,
  RATE_MAX_DEVIATION,
  RESUME_CHASE_MS,
  RESUME_MAX_DEVIATION,
  SEEK_COOLDOWN_MS,
  SEEK_LATENCY_INITIAL_MS,
  SEEK_THRESHOLD_MS,
  type Action,
  type ControllerState,
  type PlayerSnapshot,
} from '../../src/lib/sync/decide.ts'
import { INITIAL_TIMELINE, positionAt, type Timeline } from '../../src/lib/sync/timeline.ts'

const NOW = 100_000
/** The room plays from 50 s at shared instant NOW, at `rate`. */
const playing = (rate = 1): Timeline => ({ ...INITIAL_TIMELINE, playing: true, position: 50, at: NOW, rate })
const paused: Timeline = { ...INITIAL_TIMELINE, playing: false, position: 50, at: NOW }
/** A healthy player `driftMs` away from 50 s. */
const player = (driftMs: number, over: Partial<PlayerSnapshot> = {}): PlayerSnapshot => ({
  currentTime: 50 + driftMs / 1000,
  paused: false,
  playbackRate: 1,
  readyState: 4,
  seeking: false,
  bufferedAhead: 20,
  duration: 3600,
  ...over,
})
const S = INITIAL_CONTROLLER_STATE

interface Case {
  name: string
  timeline: Timeline
  snapshot: PlayerSnapshot
  state?: Partial<ControllerState>
  action: Action | ((a: Action) => void)
}

const rateNear = (rate: number) => (a: Action) => {
  expect(a.type).toBe('setRate')
  if (a.type === 'setRate') expect(a.rate).toBeCloseTo(rate, 6)
}

const cases: Case[] = [
  // paused room
  {
    // Whatever the drift: every member ends on the room's exact position.
    name: 'paused room, playing player → pause and seek to the exact position',
    timeline: paused,
    snapshot: player(3),
    action: { type: 'seek', position: paused.position, pause: true },
  },
  {
    name: 'paused room, paused player off by a frame → exact seek',
    timeline: paused,
    snapshot: player(PAUSED_TOLERANCE_MS + 5, { paused: true }),
    action: { type: 'seek', position: 50 },
  },
  {
    name: 'paused room, paused player within tolerance → nothing',
    timeline: paused,
    snapshot: player(PAUSED_TOLERANCE_MS - 5, { paused: true }),
    action: { type: 'none' },
  },
  {
    name: 'paused room, leftover correction rate → reset rate',
    timeline: paused,
    snapshot: player(0, { paused: true, playbackRate: 1.04 }),
    action: { type: 'setRate', rate: 1 },
  },
  // playing room
  {
    name: 'playing room, paused player → play',
    timeline: playing(),
    snapshot: player(0, { paused: true }),
    action: { type: 'play' },
  },
  {
    name: 'dead band → nothing',
    timeline: playing(),
    snapshot: player(RATE_ENTER_MS - 1),
    action: { type: 'none' },
  },
  {
    name: 'dead band, behind → nothing',
    timeline: playing(),
    snapshot: player(-(RATE_ENTER_MS - 1)),
    action: { type: 'none' },
  },
  // proportional: drift / 0.4 s, so 20 ms → 5 %
  { name: '20 ms ahead → slow down 5 %', timeline: playing(), snapshot: player(20), action: rateNear(0.95) },
  { name: '20 ms behind → speed up 5 %', timeline: playing(), snapshot: player(-20), action: rateNear(1.05) },
  {
    name: 'at 1.5× the correction is relative',
    timeline: playing(1.5),
    snapshot: player(-20, { playbackRate: 1.5 }),
    action: rateNear(1.575),
  },
  {
    name: '200 ms behind → rate capped',
    timeline: playing(),
    snapshot: player(-200),
    action: rateNear(1 + RATE_MAX_DEVIATION),
  },
  {
    name: 'large drift → seek ahead by the seek latency',
    timeline: playing(),
    snapshot: player(-(SEEK_THRESHOLD_MS + 50)),
    action: { type: 'seek', position: 50 + SEEK_LATENCY_INITIAL_MS / 1000 },
  },
  {
    name: 'large drift at 2× → latency scaled by rate',
    timeline: playing(2),
    snapshot: player(SEEK_THRESHOLD_MS + 50, { playbackRate: 2 }),
    action: { type: 'seek', position: 50 + (2 * SEEK_LATENCY_INITIAL_MS) / 1000 },
  },
  {
    name: 'large drift during the cooldown → rate, not another seek',
    timeline: playing(),
    snapshot: player(-(SEEK_THRESHOLD_MS + 50)),
    state: { lastSeek: { at: NOW - SEEK_COOLDOWN_MS + 100, segmentAt: NOW } },
    action: rateNear(1 + RATE_MAX_DEVIATION),
  },
  {
    name: 'cooldown belongs to the old segment → seek',
    timeline: playing(),
    snapshot: player(-(SEEK_THRESHOLD_MS + 50)),
    state: { lastSeek: { at: NOW - 100, segmentAt: NOW - 5000 } },
    action: { type: 'seek', position: 50 + SEEK_LATENCY_INITIAL_MS / 1000 },
  },
  {
    name: 'paused player far behind a playing room → seek and play at once',
    timeline: playing(),
    snapshot: player(-5000, { paused: true }),
    action: { type: 'seek', position: 50 + SEEK_LATENCY_INITIAL_MS / 1000, play: true },
  },
  {
    name: 'mid-seek → wait',
    timeline: playing(),
    snapshot: player(-900, { seeking: true }),
    action: { type: 'none' },
  },
  {
    name: 'stalled → wait',
    timeline: playing(),
    snapshot: player(-40, { readyState: 2 }),
    action: { type: 'none' },
  },
  {
    name: 'room past the end → nothing',
    timeline: playing(),
    snapshot: player(-5000, { paused: true, duration: 49 }),
    action: { type: 'none' },
  },
]

describe('decide: one case per branch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { action } = decide(c.timeline, c.snapshot, NOW, { ...S, ...c.state })
      if (typeof c.action === 'function') c.action(action)
      else expect(action).toEqual(c.action)
    })
  }

  it('two members paused on either side of the room, each within tolerance, are within 25 ms of each other', () => {
    expect(2 * PAUSED_TOLERANCE_MS).toBeLessThan(25)
  })

  it('reports drift, and none while seeking', () => {
    expect(decide(playing(), player(-37), NOW, S).driftMs).toBeCloseTo(-37, 6)
    expect(decide(playing(), player(0, { seeking: true }), NOW, S).driftMs).toBeNull()
  })
})

describe('decide: the resume chase', () => {
  /** Held at 50 s until NOW, then released (twice: every member may issue the same release). */
  const resumed: Timeline = {
    ...playing(),
    at: NOW + 20,
    previous: { ...playing(), previous: { ...playing(), held: true, at: NOW - 1_000 } },
  }
  const rateAfter = (timeline: Timeline, now: number, driftMs: number) => {
    const currentTime = positionAt(timeline, now) + driftMs / 1000
    const { action } = decide(timeline, player(driftMs, { currentTime }), now, S)
    if (action.type !== 'setRate') throw new Error(`expected a rate change, got ${action.type}`)
    return action.rate
  }

  it('catches up a late start at up to the wider cap, right after the room starts moving', () => {
    expect(rateAfter(resumed, NOW + 100, -200)).toBeCloseTo(1 + RESUME_MAX_DEVIATION, 9)
    expect(rateAfter(resumed, NOW + 100, -80)).toBeCloseTo(1.2, 9) // proportional below the cap
    expect(rateAfter(resumed, NOW + 100, 200)).toBeCloseTo(1 - RESUME_MAX_DEVIATION, 9)
  })

  it(`after ${RESUME_CHASE_MS} ms, or in a room that kept moving, the usual cap applies`, () => {
    expect(rateAfter(resumed, NOW + RESUME_CHASE_MS + 100, -200)).toBeCloseTo(1 + RATE_MAX_DEVIATION, 9)
    const kept = { ...resumed, previous: { ...playing(), at: NOW - 1_000 } }
    expect(rateAfter(kept, NOW + 100, -200)).toBeCloseTo(1 + RATE_MAX_DEVIATION, 9)
  })
})

describe('decide: hysteresis', () => {
  it(`enters above ${RATE_ENTER_MS} ms, stays in until below ${RATE_EXIT_MS} ms`, () => {
    // drift (ms) per tick and whether we should be correcting afterwards
    const steps: [number, boolean][] = [
      [RATE_ENTER_MS - 0.5, false],
      [RATE_ENTER_MS + 0.5, true],
      [RATE_ENTER_MS - 0.5, true], // just under the entry: still correcting
      [RATE_EXIT_MS + 0.5, true],
      [RATE_EXIT_MS - 0.5, false],
      [RATE_ENTER_MS - 0.5, false], // just under the entry again: stays idle
    ]
    let state = S
    for (const [drift, correcting] of steps) {
      state = decide(playing(), player(drift, { playbackRate: 1 }), NOW, state).state
      expect(state.correcting, `after ${drift} ms`).toBe(correcting)
    }
  })

  it('does not flap when drift jitters around the entry threshold', () => {
    let state = S
    let switches = 0
    for (let i = 0; i < 200; i++) {
      const drift = RATE_ENTER_MS + (i % 2 ? 0.4 : -0.4)
      const now = NOW + i * 50
      const next = decide({ ...playing(), at: now }, player(drift), now, state).state
      if (next.correcting !== state.correcting) switches++
      state = next
    }
    expect(switches).toBe(1)
  })
})

/**
 * A closed loop against a player whose clock runs `rateError` fast and whose seeks take `seekMs` (a list: the
 * n-th seek takes the n-th entry, the last one repeating).
 */
function loop(options: {
  startDriftMs: number
  rateError: number
  seekMs: number | number[]
  seconds: number
}) {
  const seekMs = (n: number) =>
    Array.isArray(options.seekMs)
      ? (options.seekMs[Math.min(n, options.seekMs.length - 1)] ?? 0)
      : options.seekMs
  const timeline = playing()
  let state = S
  let position = 50 + options.startDriftMs / 1000
  let rate = 1
  let seekingUntil = -1
  let seekTarget = 0
  const drifts: number[] = []
  const modes: boolean[] = []
  let seeks = 0
  for (let now = NOW; now < NOW + options.seconds * 1000; now += 50) {
    const seeking = now < seekingUntil
    if (!seeking && seekingUntil > 0) {
      position = seekTarget + ((now - seekingUntil) / 1000) * rate * (1 + options.rateError)
      seekingUntil = -1
    }
    const snapshot = player(0, { currentTime: seeking ? seekTarget : position, playbackRate: rate, seeking })
    const { action, state: next, driftMs } = decide(timeline, snapshot, now, state)
    state = next
    if (driftMs !== null) drifts.push(driftMs)
    modes.push(state.correcting)
    if (action.type === 'setRate') rate = action.rate
    if (action.type === 'seek') {
      seeks++
      seekTarget = action.position
      seekingUntil = now + seekMs(seeks - 1)
    }
    if (!seeking) position += 0.05 * rate * (1 + options.rateError)
  }
  return { drifts, modes, seeks, state }
}

describe('decide: closed loop', () => {
  it('converges from 150 ms behind within 2 s by rate alone, then holds', () => {
    const { drifts, seeks } = loop({ startDriftMs: -150, rateError: 0, seekMs: 0, seconds: 10 })
    expect(seeks).toBe(0)
    expect(Math.max(...drifts.slice(40).map(Math.abs))).toBeLessThanOrEqual(RATE_ENTER_MS)
  })

  it('seeks once from 2 s off, learns the latency, and converges within 2 s', () => {
    const { drifts, seeks, state } = loop({ startDriftMs: -2000, rateError: 0, seekMs: 260, seconds: 10 })
    expect(seeks).toBeLessThanOrEqual(2)
    expect(state.seekLatencyMs).toBeGreaterThan(SEEK_LATENCY_INITIAL_MS + 50)
    expect(Math.max(...drifts.slice(40).map(Math.abs))).toBeLessThanOrEqual(RATE_ENTER_MS)
  })

  it('a first informative seek slowed by a wait for data does not leave the joiner a second off for long', () => {
    // Seek 1 waits 450 ms (data); later seeks take 150 ms. The first lesson (450 ms) lands the next seek 300 ms
    // ahead; what that seek teaches is used at once instead of a second of rate correction.
    const { drifts, seeks, state } = loop({
      startDriftMs: -2000,
      rateError: 0,
      seekMs: [450, 150],
      seconds: 6,
    })
    expect(seeks).toBeLessThanOrEqual(4)
    expect(state.seekLatencyMs).toBeCloseTo(150, -1)
    // within 2 s of the start (40 ticks) and from then on, inside the band that counts as converged
    expect(Math.max(...drifts.slice(40).map(Math.abs))).toBeLessThanOrEqual(25)
  })

  it('refines at most while warming up: noisy seeks later do not chain seeks', () => {
    const { seeks } = loop({
      startDriftMs: -2000,
      rateError: 0,
      seekMs: [450, 150, 450, 150, 450, 150],
      seconds: 20,
    })
    expect(seeks).toBeLessThanOrEqual(5)
  })

  it('learns a media clock 0.4 % fast and keeps drift small without flapping', () => {
    const { drifts, modes, state } = loop({ startDriftMs: 0, rateError: 0.004, seekMs: 0, seconds: 60 })
    expect(state.rateTrim).toBeCloseTo(-0.004, 3)
    const late = drifts.slice(200).map(Math.abs)
    expect(Math.max(...late)).toBeLessThanOrEqual(RATE_ENTER_MS)
    const switches = modes.slice(200).filter((m, i, all) => i > 0 && m !== all[i - 1]).length
    expect(switches).toBeLessThanOrEqual(2)
  })
})
