import { describe, expect, it } from 'vitest'
import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import {
  evaluateHold,
  INITIAL_HOLD_STATE,
  INITIAL_READINESS,
  PREEMPT_HOLD_AHEAD_S,
  RESUME_AHEAD_S,
  STALL_DROP_MS,
  STALL_GRACE_MS,
  updateReadiness,
  type HoldTimeline,
  type MemberHoldReport,
  type Readiness,
} from '../../src/lib/sync/hold.ts'

const NOW = 100_000
/** Reports are fresh (made just now) unless said otherwise. */
const ready: MemberHoldReport = { stalled: false, since: 0, at: NOW, optOut: false }
const stalled = (since: number, optOut = false): MemberHoldReport => ({
  stalled: true,
  since,
  at: NOW,
  optOut,
})
const room = (entries: [string, MemberHoldReport][]) => new Map(entries)
const playingTimeline: HoldTimeline = { held: false, at: NOW - 10_000, releasedAt: 0 }
const heldTimeline: HoldTimeline = { held: true, at: NOW - 1_000, releasedAt: 0 }

describe('evaluateHold', () => {
  const cases: {
    name: string
    members: [string, MemberHoldReport][]
    timeline: HoldTimeline
    decision: string
    waitingFor: string[]
  }[] = [
    {
      name: 'everyone ready, playing',
      members: [
        ['a', ready],
        ['b', ready],
      ],
      timeline: playingTimeline,
      decision: 'none',
      waitingFor: [],
    },
    {
      name: 'one stalls → hold',
      members: [
        ['a', ready],
        ['b', stalled(NOW - 500)],
      ],
      timeline: playingTimeline,
      decision: 'hold',
      waitingFor: ['b'],
    },
    {
      name: 'already held → nothing more',
      members: [
        ['a', ready],
        ['b', stalled(NOW - 500)],
      ],
      timeline: heldTimeline,
      decision: 'none',
      waitingFor: ['b'],
    },
    {
      name: 'all ready again → release',
      members: [
        ['a', ready],
        ['b', ready],
      ],
      timeline: heldTimeline,
      decision: 'release',
      waitingFor: [],
    },
    {
      name: 'all ready, but one not heard from since the hold → no release yet',
      members: [
        ['a', ready],
        ['b', { ...ready, at: heldTimeline.at - 1 }],
      ],
      timeline: heldTimeline,
      decision: 'none',
      waitingFor: [],
    },
    {
      name: 'a stall from before the last release is stale → no re-hold',
      members: [
        ['a', ready],
        ['b', stalled(NOW - 3_000)],
      ],
      timeline: { held: false, at: NOW - 500, releasedAt: NOW - 700 },
      decision: 'none',
      waitingFor: [],
    },
    {
      name: 'opted-out member never holds',
      members: [
        ['a', ready],
        ['b', stalled(NOW - 500, true)],
      ],
      timeline: playingTimeline,
      decision: 'none',
      waitingFor: [],
    },
    {
      name: 'opted out while held → release',
      members: [['b', stalled(NOW - 500, true)]],
      timeline: heldTimeline,
      decision: 'release',
      waitingFor: [],
    },
    {
      name: `stuck longer than ${STALL_DROP_MS} ms → dropped, released`,
      members: [
        ['a', ready],
        ['b', stalled(NOW - STALL_DROP_MS - 1)],
      ],
      timeline: heldTimeline,
      decision: 'release',
      waitingFor: [],
    },
    {
      name: `silent for longer than ${STALL_DROP_MS} ms → dropped, released`,
      members: [
        ['a', ready],
        ['b', { ...ready, at: NOW - STALL_DROP_MS - 1 }],
      ],
      timeline: heldTimeline,
      decision: 'release',
      waitingFor: [],
    },
    {
      name: 'waits for the others while one is dropped',
      members: [
        ['c', stalled(NOW - 100)],
        ['a', stalled(NOW - 2 * STALL_DROP_MS)],
        ['b', stalled(NOW - 1000)],
      ],
      timeline: heldTimeline,
      decision: 'none',
      waitingFor: ['b', 'c'],
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const result = evaluateHold(room(c.members), c.timeline, NOW, INITIAL_HOLD_STATE)
      expect(result.decision).toBe(c.decision)
      expect(result.waitingFor).toEqual(c.waitingFor)
    })
  }

  it('gives a dropped notice once, and a recovered one when the member is back', () => {
    const at = (t: number, r: MemberHoldReport) => ({ ...r, at: t })
    const t1 = STALL_DROP_MS + 10
    const first = evaluateHold(
      room([
        ['a', at(t1, ready)],
        ['b', at(t1, stalled(0))],
      ]),
      heldTimeline,
      t1,
      INITIAL_HOLD_STATE,
    )
    expect(first.notices).toEqual([{ type: 'dropped', peer: 'b', stalledForMs: t1 }])
    const t2 = t1 + 500
    const second = evaluateHold(
      room([
        ['a', at(t2, ready)],
        ['b', at(t2, stalled(0))],
      ]),
      playingTimeline,
      t2,
      first.state,
    )
    expect(second.notices).toEqual([])
    const t3 = t2 + 500
    const back = evaluateHold(
      room([
        ['a', at(t3, ready)],
        ['b', at(t3, ready)],
      ]),
      playingTimeline,
      t3,
      second.state,
    )
    expect(back.notices).toEqual([{ type: 'recovered', peer: 'b' }])
    expect(back.state.dropped).toEqual([])
  })

  it('is the same on every peer whatever order members are listed in', () => {
    const entries: [string, MemberHoldReport][] = [
      ['z', stalled(0)],
      ['m', stalled(90_000)],
      ['a', ready],
      ['q', stalled(0)],
    ]
    const one = evaluateHold(room(entries), playingTimeline, 99_000, INITIAL_HOLD_STATE)
    const other = evaluateHold(room([...entries].reverse()), playingTimeline, 99_000, INITIAL_HOLD_STATE)
    expect(other).toEqual(one)
    expect(one.notices.map((n) => n.peer)).toEqual(['q', 'z'])
  })
})

describe('updateReadiness', () => {
  const snap = (over: Partial<PlayerSnapshot> = {}): PlayerSnapshot => ({
    currentTime: 100,
    paused: false,
    playbackRate: 1,
    readyState: 4,
    seeking: false,
    bufferedAhead: 10,
    duration: 3600,
    ...over,
  })
  /** Feeds snapshots every 100 ms; returns the readiness after each. */
  function run(snapshots: PlayerSnapshot[], rate = 1, start: Readiness = INITIAL_READINESS): Readiness[] {
    const out: Readiness[] = []
    let r = start
    snapshots.forEach((s, i) => {
      r = updateReadiness(r, s, rate, 1000 + i * 100)
      out.push(r)
    })
    return out
  }
  const times = (n: number, s: PlayerSnapshot) => Array.from({ length: n }, () => s)

  it('healthy stays ready', () => {
    expect(run(times(20, snap())).every((r) => !r.stalled)).toBe(true)
  })

  it(`a stall shorter than the grace (${STALL_GRACE_MS} ms) does not hold the room`, () => {
    const out = run([...times(3, snap({ readyState: 2 })), ...times(5, snap())])
    expect(out.some((r) => r.stalled)).toBe(false)
  })

  it('a real stall is reported after the grace, with the instant it began', () => {
    const out = run(times(10, snap({ readyState: 2 })))
    const first = out.findIndex((r) => r.stalled)
    expect(first).toBe(STALL_GRACE_MS / 100)
    expect(out[first]!.since).toBe(1000 + first * 100)
  })

  it('holds pre-emptively when the buffer runs low, before the element stalls', () => {
    const out = run(times(10, snap({ bufferedAhead: PREEMPT_HOLD_AHEAD_S - 0.1 })))
    expect(out.at(-1)!.stalled).toBe(true)
  })

  it('counts the buffer in wall seconds: at 2× one second of media lasts half a second', () => {
    const s = snap({ bufferedAhead: PREEMPT_HOLD_AHEAD_S * 1.5 })
    expect(run(times(10, s), 1).at(-1)!.stalled).toBe(false)
    expect(run(times(10, s), 2).at(-1)!.stalled).toBe(true)
  })

  it(`resumes only with ${RESUME_AHEAD_S} s buffered (hysteresis)`, () => {
    const stalledNow: Readiness = { stalled: true, since: 500, starvedSince: 100 }
    expect(run([snap({ bufferedAhead: RESUME_AHEAD_S - 0.5 })], 1, stalledNow)[0]!.stalled).toBe(true)
    const back = run([snap({ bufferedAhead: RESUME_AHEAD_S + 0.5 })], 1, stalledNow)[0]!
    expect(back).toEqual({ stalled: false, since: 1000, starvedSince: null })
  })

  it('buffered to the end is enough, however little is left', () => {
    const nearEnd = snap({ currentTime: 3599.5, bufferedAhead: 0.5 })
    expect(run(times(10, nearEnd)).every((r) => !r.stalled)).toBe(true)
  })
})
