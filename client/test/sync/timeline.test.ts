import { describe, expect, it } from 'vitest'
import { compareStamps, HLC_ZERO, hlcReceive, hlcTick, type Stamp } from '../../src/lib/sync/hlc.ts'
import {
  addCommand,
  applyCommand,
  commandLeadMs,
  createLog,
  INITIAL_TIMELINE,
  issueCommand,
  leadFor,
  LEAD_MAX_MS,
  LEAD_MIN_MS,
  LOG_LIMIT,
  positionAt,
  rebaseTimeline,
  segmentAt,
  startedFromStill,
  type Command,
  type CommandBody,
  type Timeline,
} from '../../src/lib/sync/timeline.ts'
import { Rng } from './sim.ts'

const stamp = (wall: number, peer = 'p', counter = 0): Stamp => ({ wall, counter, peer })
const cmd = (body: CommandBody, effectiveAt: number, s: Stamp): Command => ({
  ...body,
  effectiveAt,
  stamp: s,
})
const playingAt = (position: number, at: number, rate = 1): Timeline => ({
  ...INITIAL_TIMELINE,
  playing: true,
  position,
  at,
  rate,
})

describe('hlc', () => {
  it('follows physical time and never goes back', () => {
    expect(hlcTick(HLC_ZERO, 100)).toEqual({ wall: 100, counter: 0 })
    expect(hlcTick({ wall: 100, counter: 0 }, 90)).toEqual({ wall: 100, counter: 1 })
    expect(hlcTick({ wall: 100, counter: 4 }, 100)).toEqual({ wall: 100, counter: 5 })
  })

  it('orders after a received stamp, even from a clock far ahead', () => {
    const cases = [
      {
        local: { wall: 100, counter: 2 },
        remote: { wall: 5000, counter: 7 },
        phys: 120,
        out: { wall: 5000, counter: 8 },
      },
      {
        local: { wall: 5000, counter: 2 },
        remote: { wall: 100, counter: 7 },
        phys: 120,
        out: { wall: 5000, counter: 3 },
      },
      {
        local: { wall: 100, counter: 2 },
        remote: { wall: 100, counter: 7 },
        phys: 50,
        out: { wall: 100, counter: 8 },
      },
      {
        local: { wall: 100, counter: 2 },
        remote: { wall: 90, counter: 7 },
        phys: 300,
        out: { wall: 300, counter: 0 },
      },
    ]
    for (const c of cases) {
      const out = hlcReceive(c.local, c.remote, c.phys)
      expect(out).toEqual(c.out)
      expect(compareStamps({ ...out, peer: 'a' }, { ...c.remote, peer: 'z' })).toBe(1)
    }
  })

  it('totally orders by wall, counter, then peer id', () => {
    expect(compareStamps(stamp(1, 'z'), stamp(2, 'a'))).toBe(-1)
    expect(compareStamps(stamp(2, 'a', 1), stamp(2, 'z', 0))).toBe(1)
    expect(compareStamps(stamp(2, 'a'), stamp(2, 'b'))).toBe(-1)
    expect(compareStamps(stamp(2, 'a'), stamp(2, 'a'))).toBe(0)
  })
})

describe('positionAt', () => {
  const cases: { name: string; t: Timeline; now: number; pos: number }[] = [
    { name: 'paused stays put', t: { ...INITIAL_TIMELINE, position: 42, at: 1000 }, now: 9000, pos: 42 },
    { name: 'playing advances', t: playingAt(10, 1000), now: 3500, pos: 12.5 },
    { name: 'at 2×', t: playingAt(10, 1000, 2), now: 2000, pos: 12 },
    { name: 'held is frozen', t: { ...playingAt(10, 1000), held: true }, now: 5000, pos: 10 },
    { name: 'never negative', t: playingAt(0.5, 1000), now: 0, pos: 0 },
  ]
  for (const c of cases) it(c.name, () => expect(positionAt(c.t, c.now)).toBeCloseTo(c.pos, 9))
})

describe('applyCommand', () => {
  const t0 = playingAt(100, 10_000)
  const cases: { body: CommandBody; expect: Partial<Timeline> }[] = [
    { body: { kind: 'pause' }, expect: { playing: false, position: 102, at: 12_000 } },
    { body: { kind: 'play' }, expect: { playing: true, position: 102, at: 12_000 } },
    // A seek while the room plays holds it at the target until every member is ready there (hold.ts).
    { body: { kind: 'seek', position: 30 }, expect: { playing: true, held: true, position: 30, at: 12_000 } },
    // A pause stops where it says, whatever this member's fold makes of its instant.
    { body: { kind: 'pause', position: 101.5 }, expect: { playing: false, position: 101.5, at: 12_000 } },
    { body: { kind: 'seek', position: -4 }, expect: { position: 0 } },
    { body: { kind: 'rate', rate: 1.5 }, expect: { rate: 1.5, position: 102 } },
    { body: { kind: 'rate', rate: 9 }, expect: { rate: 2 } },
    { body: { kind: 'rate', rate: 0.1 }, expect: { rate: 0.5 } },
    { body: { kind: 'hold' }, expect: { held: true, playing: true, position: 102 } },
  ]
  for (const c of cases) {
    it(`${JSON.stringify(c.body)}`, () => {
      expect(applyCommand(t0, cmd(c.body, 12_000, stamp(11_900)))).toMatchObject(c.expect)
    })
  }

  it('a seek in a paused room moves it without holding it', () => {
    const paused = applyCommand(t0, cmd({ kind: 'pause' }, 11_000, stamp(1)))
    const sought = applyCommand(paused, cmd({ kind: 'seek', position: 30 }, 12_000, stamp(2)))
    expect(sought).toMatchObject({ playing: false, held: false, position: 30 })
  })

  it('a seek while playing resumes from its target at the release', () => {
    const sought = applyCommand(t0, cmd({ kind: 'seek', position: 30 }, 12_000, stamp(1)))
    expect(positionAt(sought, 15_000)).toBe(30)
    const released = applyCommand(sought, cmd({ kind: 'release' }, 15_000, stamp(2)))
    expect(positionAt(released, 16_000)).toBeCloseTo(31, 9)
  })

  it('knows when the room last started moving from still, through repeated releases', () => {
    const sought = applyCommand(t0, cmd({ kind: 'seek', position: 30 }, 12_000, stamp(1)))
    const released = applyCommand(sought, cmd({ kind: 'release' }, 13_000, stamp(2, 'a')))
    const again = applyCommand(released, cmd({ kind: 'release' }, 13_020, stamp(2, 'b')))
    expect(startedFromStill(again, 12_500)).toBeNull() // still held
    expect(startedFromStill(again, 13_010)).toBe(13_000)
    expect(startedFromStill(again, 14_000)).toBe(13_000)
    // A room that has been moving for as long as the history goes back did not just start.
    expect(startedFromStill(t0, 14_000)).toBeNull()
    const faster = applyCommand(t0, cmd({ kind: 'rate', rate: 1.5 }, 12_000, stamp(1)))
    expect(startedFromStill(faster, 14_000)).toBeNull()
  })

  it('release resumes from the held position', () => {
    const held = applyCommand(t0, cmd({ kind: 'hold' }, 12_000, stamp(1)))
    const released = applyCommand(held, cmd({ kind: 'release' }, 20_000, stamp(2)))
    expect(released).toMatchObject({ held: false, position: 102, at: 20_000 })
    expect(positionAt(released, 21_000)).toBeCloseTo(103, 9)
  })

  it('keeps what plays until a change scheduled ahead takes effect', () => {
    const paused = applyCommand(t0, cmd({ kind: 'pause' }, 12_000, stamp(1)))
    expect(positionAt(paused, 11_000)).toBeCloseTo(101, 9)
    expect(segmentAt(paused, 11_000).playing).toBe(true)
    expect(positionAt(paused, 15_000)).toBeCloseTo(102, 9)
  })

  it('never schedules a change before the current segment', () => {
    const paused = applyCommand(t0, cmd({ kind: 'pause' }, 12_000, stamp(1)))
    const late = applyCommand(paused, cmd({ kind: 'seek', position: 5 }, 11_000, stamp(2)))
    expect(late.at).toBe(12_000)
  })

  it('ignores a command ordered at or before its own', () => {
    const a = applyCommand(t0, cmd({ kind: 'pause' }, 12_000, stamp(5)))
    expect(applyCommand(a, cmd({ kind: 'play' }, 13_000, stamp(4)))).toBe(a)
    expect(applyCommand(a, cmd({ kind: 'play' }, 13_000, stamp(5)))).toBe(a)
  })
})

describe('command log: conflict resolution', () => {
  const base = playingAt(0, 0)
  /** Concurrent commands from 4 peers, many with equal walls, effects scheduled out of stamp order. */
  function commands(rng: Rng, n: number): Command[] {
    const bodies: CommandBody[] = [
      { kind: 'play' },
      { kind: 'pause' },
      { kind: 'seek', position: 60 },
      { kind: 'rate', rate: 1.25 },
      { kind: 'hold' },
      { kind: 'release' },
    ]
    return Array.from({ length: n }, (_, i) =>
      cmd(
        bodies[Math.floor(rng.next() * bodies.length)]!,
        1000 + Math.floor(rng.next() * 5000),
        // A peer never reuses a stamp: the counter makes them unique, walls still collide.
        stamp(1000 + Math.floor(rng.next() * 8) * 100, 'abcd'[i % 4]!, i),
      ),
    )
  }
  function shuffle<T>(rng: Rng, items: T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }

  it('gives the same timeline for the same commands in any arrival order', () => {
    const rng = new Rng(7)
    for (let round = 0; round < 50; round++) {
      const set = commands(rng, 12)
      const expected = set.reduce(addCommand, createLog(base)).timeline
      for (let k = 0; k < 10; k++) {
        const got = shuffle(rng, set).reduce(addCommand, createLog(base)).timeline
        expect(got).toEqual(expected)
      }
    }
  })

  it('is not just the last arrival: the highest stamp wins a conflict', () => {
    const seekA = cmd({ kind: 'seek', position: 10 }, 2000, stamp(1500, 'a'))
    const seekB = cmd({ kind: 'seek', position: 99 }, 2000, stamp(1500, 'b'))
    for (const order of [
      [seekA, seekB],
      [seekB, seekA],
    ]) {
      expect(positionAt(order.reduce(addCommand, createLog(base)).timeline, 2000)).toBe(99)
    }
  })

  it('ignores duplicates', () => {
    const c = cmd({ kind: 'pause' }, 2000, stamp(1500))
    const once = addCommand(createLog(base), c)
    expect(addCommand(once, { ...c })).toBe(once)
  })

  it(`folds the oldest into the base past ${LOG_LIMIT} commands, with the same result`, () => {
    const set = Array.from({ length: LOG_LIMIT * 2 }, (_, i) =>
      cmd({ kind: i % 2 ? 'pause' : 'play' }, 1000 + i * 100, stamp(1000 + i * 10, 'p')),
    )
    const log = set.reduce(addCommand, createLog(base))
    expect(log.commands.length).toBe(LOG_LIMIT)
    expect(log.timeline).toEqual(set.reduce(applyCommand, base))
    // Too late to matter: older than everything folded into the base.
    expect(addCommand(log, cmd({ kind: 'seek', position: 1 }, 0, stamp(1, 'p')))).toBe(log)
  })
})

describe('issuing', () => {
  it('schedules ahead by a lead covering the round trip, within bounds', () => {
    expect(commandLeadMs(0)).toBe(LEAD_MIN_MS)
    expect(commandLeadMs(100)).toBe(150)
    expect(commandLeadMs(50_000)).toBe(LEAD_MAX_MS)
    expect(commandLeadMs(NaN)).toBe(LEAD_MIN_MS)
  })

  it('a seek takes effect at once: it holds the room, and only the release must reach everyone first', () => {
    expect(leadFor({ kind: 'seek', position: 3 }, 100)).toBe(0)
    for (const kind of ['play', 'pause', 'hold', 'release'] as const)
      expect(leadFor({ kind }, 100)).toBe(commandLeadMs(100))
    const { command } = issueCommand(
      { kind: 'seek', position: 3 },
      { hlc: HLC_ZERO, peer: 'p1', sharedNow: 5000, maxRttMs: 100 },
    )
    expect(command.effectiveAt).toBe(5000)
  })

  it('stamps with an advancing HLC and the peer id', () => {
    const first = issueCommand(
      { kind: 'play' },
      { hlc: HLC_ZERO, peer: 'p1', sharedNow: 5000, maxRttMs: 100 },
    )
    expect(first.command).toMatchObject({
      kind: 'play',
      effectiveAt: 5150,
      stamp: { wall: 5000, counter: 0, peer: 'p1' },
    })
    const second = issueCommand(
      { kind: 'pause' },
      { hlc: first.hlc, peer: 'p1', sharedNow: 4990, maxRttMs: 100 },
    )
    expect(compareStamps(second.command.stamp, first.command.stamp)).toBe(1)
  })

  it('rebases between reference clocks without changing positions', () => {
    const t = applyCommand(playingAt(10, 1000), cmd({ kind: 'pause' }, 3000, stamp(1)))
    const moved = rebaseTimeline(t, 1500)
    for (const now of [1500, 2500, 9000])
      expect(positionAt(moved, now + 1500)).toBeCloseTo(positionAt(t, now), 9)
  })
})
