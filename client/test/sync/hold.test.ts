import { describe, expect, it } from 'vitest'
import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import {
  evaluateHold,
  HOLD_READY_MAX_MS,
  holdKey,
  INITIAL_HOLD_STATE,
  INITIAL_READINESS,
  MAX_RESUME_AHEAD_S,
  PREDICTED_STALL_S,
  PREEMPT_HOLD_AHEAD_S,
  readyToResume,
  resumeAheadS,
  RESUME_AHEAD_S,
  secondsToStall,
  STALL_DROP_MS,
  STALL_GRACE_MS,
  updateReadiness,
  type HoldTimeline,
  type MemberHoldReport,
  type Readiness,
  type Supply,
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
      name: 'a release stamped far ahead (a pushed clock) does not make every later stall stale → hold',
      members: [
        ['a', ready],
        ['b', stalled(NOW - 3_000)],
      ],
      timeline: { held: false, at: NOW - 500, releasedAt: NOW + 86_000_000 },
      decision: 'hold',
      waitingFor: ['b'],
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

describe('a hold ends when every member stands ready at the held position', () => {
  const seekHold: HoldTimeline = {
    held: true,
    at: NOW - 500,
    releasedAt: 0,
    stamp: { wall: NOW - 600, counter: 0, peer: 'a' },
  }
  const key = holdKey(seekHold)
  const at = (readyAt: string | null, since = NOW): MemberHoldReport => ({ ...ready, at: since, readyAt })

  it('waits for a member not at the target yet, and releases once all are', () => {
    const waiting = evaluateHold(
      room([
        ['a', at(key)],
        ['b', at(null)],
      ]),
      seekHold,
      NOW,
      INITIAL_HOLD_STATE,
    )
    expect(waiting).toMatchObject({ decision: 'none', waitingFor: ['b'] })
    const all = evaluateHold(
      room([
        ['a', at(key)],
        ['b', at(key)],
      ]),
      seekHold,
      NOW,
      INITIAL_HOLD_STATE,
    )
    expect(all).toMatchObject({ decision: 'release', waitingFor: [] })
  })

  it('does not take readiness for an earlier hold', () => {
    const earlier = holdKey({ stamp: { wall: NOW - 9_000, counter: 0, peer: 'a' }, at: NOW - 8_000 })
    const outcome = evaluateHold(
      room([
        ['a', at(key)],
        ['b', at(earlier)],
      ]),
      seekHold,
      NOW,
      INITIAL_HOLD_STATE,
    )
    expect(outcome).toMatchObject({ decision: 'none', waitingFor: ['b'] })
  })

  it('does not wait for a member that has not joined the playback (it says nothing about holds)', () => {
    const joiner: MemberHoldReport = { ...ready }
    const outcome = evaluateHold(
      room([
        ['a', at(key)],
        ['j', joiner],
      ]),
      seekHold,
      NOW,
      INITIAL_HOLD_STATE,
    )
    expect(outcome.decision).toBe('release')
  })

  it(`resumes without a member that never gets there, ${HOLD_READY_MAX_MS} ms into the hold`, () => {
    const members = room([
      ['a', at(key)],
      ['b', at(null)],
    ])
    const before = evaluateHold(members, seekHold, seekHold.at + HOLD_READY_MAX_MS, INITIAL_HOLD_STATE)
    expect(before.decision).toBe('none')
    const after = evaluateHold(members, seekHold, seekHold.at + HOLD_READY_MAX_MS + 1, INITIAL_HOLD_STATE)
    expect(after).toMatchObject({ decision: 'release', waitingFor: [] })
  })

  it('a stalled member still holds the room past that bound (buffering holds keep their own)', () => {
    const members = room([
      ['a', at(key)],
      ['b', { ...stalled(NOW - 100), readyAt: null }],
    ])
    const outcome = evaluateHold(members, seekHold, seekHold.at + HOLD_READY_MAX_MS + 1, INITIAL_HOLD_STATE)
    expect(outcome).toMatchObject({ decision: 'none', waitingFor: ['b'] })
  })
})

describe('readyToResume', () => {
  const held = { held: true, at: 1_000, position: 30, stamp: { wall: 900, counter: 0, peer: 'a' } }
  const there: PlayerSnapshot = {
    currentTime: 30,
    paused: true,
    playbackRate: 1,
    readyState: 3,
    seeking: false,
    bufferedAhead: 1,
    duration: 3600,
  }
  const cases: [string, Partial<PlayerSnapshot>, boolean, number, boolean][] = [
    ['paused at the target with future data', {}, false, 1_000, true],
    ['still seeking', { seeking: true }, false, 1_000, false],
    ['no future data yet (HAVE_CURRENT_DATA)', { readyState: 2 }, false, 1_000, false],
    ['not paused yet', { paused: false }, false, 1_000, false],
    ['a frame off the target', { currentTime: 30.04 }, false, 1_000, false],
    ['stalled', {}, true, 1_000, false],
    ['the hold not in effect yet', {}, false, 999, false],
  ]
  it.each(cases)('%s', (_name, over, isStalled, now, expected) => {
    const key = readyToResume(held, { ...there, ...over }, now, isStalled)
    expect(key).toBe(expected ? holdKey(held) : null)
  })

  it('says nothing while the room is not held', () => {
    expect(readyToResume({ ...held, held: false }, there, 1_000, false)).toBeNull()
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
  function run(
    snapshots: PlayerSnapshot[],
    rate = 1,
    start: Readiness = INITIAL_READINESS,
    supply: Supply | null = null,
  ): Readiness[] {
    const out: Readiness[] = []
    let r = start
    snapshots.forEach((s, i) => {
      r = updateReadiness(r, s, rate, 1000 + i * 100, supply)
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

describe('torrent supply (piece availability ahead of a stall)', () => {
  /** A 4 Mbit/s video: 500 kB per media second. */
  const supply = (downloadBps: number, complete = false): Supply => ({
    downloadBps,
    bytesPerMediaSecond: 500_000,
    complete,
  })

  it.each<[string, number, Supply | null, number, number]>([
    ['no torrent: only the buffer counts', 5, null, 1, Infinity],
    ['the download keeps up', 5, supply(600_000), 1, Infinity],
    ['complete', 5, supply(0, true), 1, Infinity],
    ['nothing arrives: the buffer lasts its length', 5, supply(0), 1, 5],
    ['half the bitrate arrives: twice as long', 5, supply(250_000), 1, 10],
    ['keeps up at 1×, not at 2×', 5, supply(600_000), 2, 5 / (1 - 0.6)],
  ])('secondsToStall: %s', (_name, ahead, s, rate, expected) => {
    expect(secondsToStall(ahead, s, rate)).toBeCloseTo(expected, 9)
  })

  it.each<[string, Supply | null, number, number]>([
    ['no torrent', null, 600, RESUME_AHEAD_S],
    ['keeping up, length unknown', supply(600_000), Infinity, RESUME_AHEAD_S],
    ['short, length unknown: capped', supply(450_000), Infinity, MAX_RESUME_AHEAD_S],
    ['keeping up', supply(600_000), 600, RESUME_AHEAD_S],
    ['a little short near the end', supply(450_000), 10, RESUME_AHEAD_S],
    ['short with 60 s left: 10 % of it', supply(450_000), 60, 6],
    ['far too slow: capped', supply(100_000), 3600, MAX_RESUME_AHEAD_S],
  ])('resumeAheadS: %s', (_name, s, remaining, expected) => {
    expect(resumeAheadS(s, 1, remaining)).toBeCloseTo(expected, 9)
  })

  const snap = (bufferedAhead: number, currentTime = 100): PlayerSnapshot => ({
    currentTime,
    paused: false,
    playbackRate: 1,
    readyState: 4,
    seeking: false,
    bufferedAhead,
    duration: 3600,
  })
  const feed = (snapshots: PlayerSnapshot[], s: Supply | null, start: Readiness = INITIAL_READINESS) => {
    let r = start
    snapshots.forEach((one, i) => (r = updateReadiness(r, one, 1, 1000 + i * 100, s)))
    return r
  }
  const ten = (ahead: number) => Array.from({ length: 10 }, () => snap(ahead))

  it(`holds while ${PREDICTED_STALL_S} s from a stall the supply can't prevent, with the buffer still above the pre-emptive margin`, () => {
    const ahead = PREDICTED_STALL_S * 0.5 // 1 s: above PREEMPT_HOLD_AHEAD_S, but nothing arrives
    expect(ahead).toBeGreaterThan(PREEMPT_HOLD_AHEAD_S)
    expect(feed(ten(ahead), supply(0)).stalled).toBe(true)
    expect(feed(ten(ahead), supply(600_000)).stalled).toBe(false) // the same buffer with a fast peer is fine
    expect(feed(ten(ahead), null).stalled).toBe(false)
  })

  it('a slow supply resumes only with enough buffered to play on, not after RESUME_AHEAD_S', () => {
    const stalledNow: Readiness = { stalled: true, since: 500, starvedSince: 100 }
    const slow = supply(250_000) // half the bitrate: needs half the remaining hour, capped
    expect(feed([snap(RESUME_AHEAD_S + 0.5)], slow, stalledNow).stalled).toBe(true)
    expect(feed([snap(MAX_RESUME_AHEAD_S + 0.5)], slow, stalledNow).stalled).toBe(false)
    expect(feed([snap(RESUME_AHEAD_S + 0.5)], supply(600_000), stalledNow).stalled).toBe(false)
  })
})
