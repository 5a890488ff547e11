import { describe, expect, it } from 'vitest'
import { ControllerLoop, SEEK_FETCH_MS, SETTLE_MARGIN_S } from '../../src/lib/sync/controller-loop.ts'
import { SEEK_LATENCY_INITIAL_MS, type PlayerSnapshot } from '../../src/lib/sync/decide.ts'
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

  it('a paused joiner seeks and plays in one action, but not while the browser waits for a click', () => {
    const blocked = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, paused: true })
    expect(blocked.step(p, p.snapshot(), moving, 10_000, true)).toEqual({ type: 'none' })
    expect(blocked.counters()).toMatchObject({ seeks: 1, plays: 0 })
    expect(blocked.settlingSince).toBeNull()

    const loop = new ControllerLoop(() => now)
    const action = loop.step(p, p.snapshot(), moving, 10_000, false)
    expect(action).toMatchObject({ type: 'seek', play: true })
    expect(loop.counters()).toMatchObject({ seeks: 1, plays: 1 })
    expect(loop.settlingSince).toBe(now)
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

  it('a room seek far from where the element still seeks takes effect at once, not after that seek', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0, duration: 1_040 })
    const correction = loop.step(p, p.snapshot(), moving, 10_000, false)
    expect(correction).toMatchObject({ type: 'seek' })
    if (correction.type !== 'seek') throw new Error('expected a seek')
    // Its data is not there: the element seeks for a long while, and reports the seek's target meanwhile.
    Object.assign(p.shows, { seeking: true, readyState: 1, currentTime: correction.position })
    now += SEEK_FETCH_MS + 100
    expect(loop.step(p, p.snapshot(), moving, 10_500, false)).toEqual({ type: 'none' })
    // Another member seeks the room to 832 s: the room holds there while everyone gets ready.
    const held: Timeline = {
      ...moving,
      playing: false,
      held: true,
      position: 832,
      at: 10_600,
      previous: moving,
    }
    now += 100
    expect(loop.step(p, p.snapshot(), held, 10_600, false)).toEqual({
      type: 'seek',
      position: 832,
      pause: true,
    })
    expect(loop.settlingSince).toBe(now)
    // The hold's own seek is not superseded by itself, nor by the release at the same position.
    Object.assign(p.shows, { currentTime: 832, paused: true })
    now += 100
    expect(loop.step(p, p.snapshot(), held, 10_700, false)).toEqual({ type: 'none' })
    const released: Timeline = { ...moving, position: 832, at: 10_800, previous: held }
    expect(loop.step(p, p.snapshot(), released, 10_800, false)).toEqual({ type: 'none' })
    expect(loop.counters().seeks).toBe(2)
  })

  it('a new segment near where the element seeks leaves that seek alone', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ currentTime: 0 })
    const correction = loop.step(p, p.snapshot(), moving, 10_000, false)
    if (correction.type !== 'seek') throw new Error('expected a seek')
    Object.assign(p.shows, { seeking: true, readyState: 1, currentTime: correction.position })
    now += 100
    // A speed change moments later: the room is where the seek goes, within the seek threshold.
    const faster: Timeline = { ...moving, rate: 1.25, position: 10.1, at: 10_100, previous: moving }
    expect(loop.step(p, p.snapshot(), faster, 10_100, false)).toEqual({ type: 'none' })
    expect(loop.counters().seeks).toBe(1)
  })

  it('nothing loaded: no action and no drift', () => {
    const loop = new ControllerLoop(() => now)
    const p = player({ readyState: 0 })
    expect(loop.step(p, p.snapshot(), moving, 10_000, false)).toEqual({ type: 'none' })
    expect(loop.driftMs).toBeNull()
  })
})
