import { describe, expect, it } from 'vitest'
import {
  ControllerLoop,
  PREROLL_LEAD_S,
  PREROLL_TRIES,
  SEEK_FETCH_MS,
  SETTLE_MARGIN_S,
} from '../../src/lib/sync/controller-loop.ts'
import {
  RATE_MAX_DEVIATION,
  SEEK_LATENCY_INITIAL_MS,
  type PlayerSnapshot,
} from '../../src/lib/sync/decide.ts'
import type { Player } from '../../src/lib/sync/player.ts'
import { INITIAL_TIMELINE, type Timeline } from '../../src/lib/sync/timeline.ts'
import { snapshotOf } from './snapshot.ts'

let now = 0

/** The loop only reads the player; the test sets what it shows. */
function player(snapshot: Partial<PlayerSnapshot>): Player & { shows: PlayerSnapshot } {
  const shows = snapshotOf(snapshot)
  return {
    shows,
    snapshot: () => ({ ...shows }),
    play: () => Promise.resolve(),
    pause: () => {},
    seek: () => {},
    setRate: () => {},
    onUserAction: () => () => {},
  }
}

/** Playing since shared 0 from media 0: at shared `t` ms the room is at `t / 1000` s. */
const moving: Timeline = { ...INITIAL_TIMELINE, playing: true, at: 0 }

describe('ControllerLoop', () => {
  it('leaves the element alone while the person’s command is on its way, measuring drift', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 20.5 })
    loop.quietUntil(21_000)
    expect(loop.step(p, p.snapshot(), moving, 20_000, false)).toEqual({ type: 'none' })
    expect(loop.driftMs).toBeCloseTo(500)
    expect(loop.counters().seeks).toBe(0)
    loop.rebase(-2_000) // the frame moved: the quiet stretch ends earlier in the new one
    expect(loop.step(p, p.snapshot(), moving, 20_000, false).type).toBe('seek')
  })

  it('a paused joiner lands ahead of the room, paused, and plays when the room reaches its frame', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    const action = loop.step(p, p.snapshot(), moving, 10_000, false)
    expect(action).toEqual({ type: 'seek', position: 10 + PREROLL_LEAD_S })
    expect(loop.counters()).toMatchObject({ seeks: 1, plays: 0 })
    // Fetching the data there: nothing else to do meanwhile.
    p.shows.seeking = true
    now += 300
    expect(loop.step(p, p.snapshot(), moving, 10_300, false)).toEqual({ type: 'none' })
    // Landed with data, 400 ms before the room gets there: it waits, and asks to be woken at that instant.
    Object.assign(p.shows, { seeking: false, currentTime: 10 + PREROLL_LEAD_S })
    now += 300
    expect(loop.step(p, p.snapshot(), moving, 10_600, false)).toEqual({ type: 'none' })
    expect(loop.wakeAt).toBeCloseTo(11_000)
    now += 400
    expect(loop.step(p, p.snapshot(), moving, 11_000, false)).toEqual({ type: 'play' })
    expect(loop.counters()).toMatchObject({ seeks: 1, plays: 1 })
    // Still paused a moment after play(): not a joiner to seek again.
    now += 50
    expect(loop.step(p, p.snapshot(), moving, 11_050, false)).toEqual({ type: 'none' })
  })

  it('a joiner that starts behind catches up with the resume chase, beyond the ordinary rate cap', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    loop.step(p, p.snapshot(), moving, 10_000, false)
    Object.assign(p.shows, { currentTime: 10 + PREROLL_LEAD_S })
    now += 1_000
    expect(loop.step(p, p.snapshot(), moving, 11_000, false)).toEqual({ type: 'play' })
    // It started 100 ms late.
    Object.assign(p.shows, { paused: false, currentTime: 11.1 })
    now += 200
    const action = loop.step(p, p.snapshot(), moving, 11_200, false)
    if (action.type !== 'setRate') throw new Error(`expected a rate change, got ${action.type}`)
    expect(action.rate).toBeGreaterThan(1 + RATE_MAX_DEVIATION)
  })

  it('a joiner the room passes before its data comes tries again, twice as far ahead, then seeks as usual', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    let at = 10_000
    for (let i = 0; i < PREROLL_TRIES; i++) {
      const leadS = PREROLL_LEAD_S * 2 ** i
      const action = loop.step(p, p.snapshot(), moving, at, false)
      expect(action).toEqual({ type: 'seek', position: at / 1000 + leadS })
      // The data comes later than that: the room is past its frame by then.
      Object.assign(p.shows, { currentTime: at / 1000 + leadS })
      now += leadS * 1000 + 500
      at += leadS * 1000 + 500
    }
    expect(loop.step(p, p.snapshot(), moving, at, false)).toMatchObject({ type: 'seek', play: true })
  })

  it('a member that played already and is late for the room’s start is not sent ahead', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 10 })
    loop.step(p, p.snapshot(), moving, 10_000, false)
    // Held and resumed without it: paused half a second behind the room.
    Object.assign(p.shows, { paused: true, currentTime: 10 })
    expect(loop.step(p, p.snapshot(), moving, 10_500, false)).toMatchObject({ type: 'seek', play: true })
  })

  it('a joiner woken late (a busy page) plays at once, not another try', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    loop.step(p, p.snapshot(), moving, 10_000, false)
    Object.assign(p.shows, { currentTime: 10 + PREROLL_LEAD_S })
    now += 1_200
    expect(loop.step(p, p.snapshot(), moving, 11_200, false)).toEqual({ type: 'play' })
  })

  it('a joiner waiting for a click lands ahead, but does not play', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    expect(loop.step(p, p.snapshot(), moving, 10_000, true).type).toBe('seek')
    Object.assign(p.shows, { currentTime: 10 + PREROLL_LEAD_S })
    now += 1_000
    expect(loop.step(p, p.snapshot(), moving, 11_000, true)).toEqual({ type: 'none' })
    expect(loop.counters().plays).toBe(0)
  })

  it('a paused member close to the room is not sent ahead: it plays at once', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 9.9, paused: true })
    expect(loop.step(p, p.snapshot(), moving, 10_000, false)).toEqual({ type: 'play' })
  })

  it('after its seek, a frame frozen at the target is still seeking; past it, drift is measured again', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0 })
    const action = loop.step(p, p.snapshot(), moving, 10_000, false)
    if (action.type !== 'seek') throw new Error(`expected a seek, got ${action.type}`)
    now += 100
    p.shows.currentTime = action.position // landed, not moving yet
    expect(loop.step(p, p.snapshot(), moving, 10_100, false)).toEqual({ type: 'none' })
    expect(loop.driftMs).toBeNull()
    now += 100
    p.shows.currentTime = action.position + SETTLE_MARGIN_S + 0.01
    loop.step(p, p.snapshot(), moving, 10_200, false)
    expect(loop.driftMs).not.toBeNull()
    expect(loop.settlingSince).toBeNull()
  })

  it('a seek that waited for data is followed at once by a catch-up seek, below the seek threshold', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0 })
    expect(loop.step(p, p.snapshot(), moving, 10_000, false).type).toBe('seek')
    p.shows.seeking = true
    now += SEEK_FETCH_MS + 100 // the network, not the decoder
    loop.step(p, p.snapshot(), moving, 10_500, false)
    now += 100
    // The data came and it plays, 100 ms behind: decide() alone would correct that with the rate.
    Object.assign(p.shows, { seeking: false, currentTime: 10.5 })
    const seek = loop.step(p, p.snapshot(), moving, 10_600, false)
    expect(seek).toEqual({ type: 'seek', position: 10.6 + SEEK_LATENCY_INITIAL_MS / 1000 })
    expect(loop.counters().seeks).toBe(2)
  })

  it('a seek that stays paused (a hold’s) is settled once it lands: no catch-up seek at the resume', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 30 })
    const held: Timeline = { ...moving, held: true, position: 12, at: 10_000 }
    const action = loop.step(p, p.snapshot(), held, 10_000, false)
    expect(action).toEqual({ type: 'seek', position: 12, pause: true })
    Object.assign(p.shows, { paused: true, seeking: true, currentTime: 12 })
    now += SEEK_FETCH_MS + 100 // slow, as on a busy page: it still says nothing about the next seek
    loop.step(p, p.snapshot(), held, 10_500, false)
    p.shows.seeking = false
    loop.step(p, p.snapshot(), held, 10_600, false)
    expect(loop.settlingSince).toBeNull()
    // Released at 11 000, this member started 60 ms late: the rate catches that up, not a seek.
    const released: Timeline = { ...moving, position: 12, at: 11_000, previous: held }
    Object.assign(p.shows, { paused: false, currentTime: 12.04 })
    now += 1_000
    expect(loop.step(p, p.snapshot(), released, 11_100, false).type).toBe('setRate')
    expect(loop.counters().seeks).toBe(1)
  })

  it('nothing loaded: no action and no drift', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ readyState: 0 })
    expect(loop.step(p, p.snapshot(), moving, 10_000, false)).toEqual({ type: 'none' })
    expect(loop.driftMs).toBeNull()
  })
})
