import { describe, expect, it } from 'vitest'
import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import { HoldLoop, OWN_SEEK_GRACE_MS, STATUS_INTERVAL_MS } from '../../src/lib/sync/hold-loop.ts'
import { STALL_DROP_MS, STALL_GRACE_MS, type Supply } from '../../src/lib/sync/hold.ts'
import type { StatusReport } from '../../src/lib/sync/messages.ts'
import { INITIAL_TIMELINE, type Timeline } from '../../src/lib/sync/timeline.ts'
import { snapshotOf } from './snapshot.ts'

const healthy = snapshotOf({ currentTime: 10 })
const starved: PlayerSnapshot = { ...healthy, readyState: 2, bufferedAhead: 0 }
const playing: Timeline = { ...INITIAL_TIMELINE, playing: true }

function status(overrides: Partial<StatusReport>): StatusReport {
  return {
    type: 'sync/status',
    at: 0,
    position: 10,
    bufferedAhead: 30,
    stalled: false,
    since: 0,
    optOut: false,
    holding: false,
    driftMs: 0,
    rttMs: 2,
    ...overrides,
  }
}

/** Ticks every 50 ms of shared (= local) time. */
function ticker(hold: HoldLoop, start = 10_000) {
  let t = start
  return (
    snapshot: PlayerSnapshot,
    extra: { seekingSince?: number | null; timeline?: Timeline; supply?: Supply | null } = {},
  ) => {
    t += 50
    const outcome = hold.tick({
      item: 'item|0',
      snapshot,
      timeline: extra.timeline ?? playing,
      shared: t,
      local: t,
      driftMs: 0,
      rttMs: 2,
      optOut: false,
      seekingSince: extra.seekingSince ?? null,
      supply: extra.supply ?? null,
    })
    return { ...outcome, at: t }
  }
}

describe('HoldLoop', () => {
  it('a member still joining the item is never stalled, however starved', () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    const tick = ticker(hold)
    for (let i = 0; i < 40; i++) expect(tick(starved).decision).toBe('none')
    expect(hold.catchUp(healthy, 500)).toBe(false) // far from the room
    expect(hold.catchUp(healthy, 20)).toBe(true)
  })

  it('once caught up, a starved player holds the room after the grace, and says so at once', () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    hold.catchUp(healthy, 0)
    const tick = ticker(hold)
    expect(tick(healthy).status).not.toBeNull()
    expect(tick(healthy).status).toBeNull() // next report not due yet
    let outcome = tick(starved)
    for (let i = 0; outcome.decision === 'none' && i < STALL_GRACE_MS / 50 + 2; i++) outcome = tick(starved)
    expect(outcome.decision).toBe('hold')
    expect(outcome.waitingFor).toEqual(['a'])
    expect(outcome.status).toMatchObject({ stalled: true, holding: true })
  })

  it('holds the room before its buffer runs dry when its torrent is slower than the video', () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    hold.catchUp(healthy, 0)
    const tick = ticker(hold)
    const oneSecondLeft: PlayerSnapshot = { ...healthy, bufferedAhead: 1 }
    const fast: Supply = { downloadBps: 2e6, bytesPerMediaSecond: 1e6, complete: false }
    const slow: Supply = { ...fast, downloadBps: 1e5 }
    for (let i = 0; i < 20; i++) expect(tick(oneSecondLeft, { supply: fast }).decision).toBe('none')
    let outcome = tick(oneSecondLeft, { supply: slow })
    for (let i = 0; outcome.decision === 'none' && i < STALL_GRACE_MS / 50 + 2; i++)
      outcome = tick(oneSecondLeft, { supply: slow })
    expect(outcome.decision).toBe('hold')
  })

  it(`our own seek is not a stall for ${OWN_SEEK_GRACE_MS} ms`, () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    hold.catchUp(healthy, 0)
    const tick = ticker(hold)
    const seekingSince = 10_000
    for (let t = 0; t < OWN_SEEK_GRACE_MS - 100; t += 50)
      expect(tick(starved, { seekingSince }).decision).toBe('none')
  })

  it('says at once which item it is ready for, once it has caught up with it (the start waits for that)', () => {
    const hold = new HoldLoop('a', (id) => id)
    const tick = ticker(hold)
    expect(tick(healthy).status).toMatchObject({ readyFor: null })
    expect(tick(healthy).status).toBeNull() // next report not due yet
    hold.catchUp(healthy, 0)
    expect(tick(healthy).status).toMatchObject({ readyFor: 'item|0' })
    hold.reset() // a new item: not ready for anything until caught up again
    expect(tick(healthy).status).toMatchObject({ readyFor: null })
  })

  it('a seek’s hold waits for every member that plays the item, whatever its key (the empty one too)', () => {
    const hold = new HoldLoop('a', (id) => id)
    const tick = ticker(hold)
    hold.catchUp(healthy, 0)
    const stamp = { wall: 10_000, counter: 0, peer: 'a' }
    const held: Timeline = { ...playing, held: true, position: 10, at: 10_000, stamp }
    const here = { ...healthy, paused: true }
    hold.onStatus('b', status({ at: 10_020, readyFor: '', readyAt: null }), 10_020)
    expect(tick(here, { timeline: held }).decision).toBe('none')
    hold.onStatus('b', status({ at: 10_060, readyFor: '', readyAt: '10000.0.a' }), 10_060)
    expect(tick(here, { timeline: held }).decision).toBe('release')
  })

  it("tells whom the start of an item waits for, from the members' reports", () => {
    const hold = new HoldLoop('a', (id) => id)
    hold.onStatus('b', status({ readyFor: 'item|0' }), 0)
    hold.onStatus('c', status({ readyFor: null }), 0)
    expect(hold.waitingToStart('item|0', ['a', 'b', 'c', 'd'])).toEqual(['c', 'd'])
    hold.onStatus('c', status({ readyFor: 'item|0' }), 0)
    hold.forget('d')
    expect(hold.waitingToStart('item|0', ['a', 'b', 'c'])).toEqual([])
  })

  it('reports the length of the item it is ready for, which a member without a player shows', () => {
    const hold = new HoldLoop('a', (id) => id)
    const tick = ticker(hold)
    expect(tick(healthy).status).toMatchObject({ readyFor: null, duration: null })
    hold.catchUp(healthy, 0)
    expect(tick(healthy).status).toMatchObject({ readyFor: 'item|0', duration: 600 })

    const remote = new HoldLoop('r', (id) => id)
    expect(remote.reportedDuration('item|0')).toBeNaN()
    remote.onStatus('b', status({ readyFor: 'item|1', duration: 99 }), 0) // another item's length
    remote.onStatus('c', status({ readyFor: 'item|0' }), 0) // an older peer: no length
    expect(remote.reportedDuration('item|0')).toBeNaN()
    remote.onStatus('d', status({ readyFor: 'item|0', duration: 1234.5 }), 0)
    expect(remote.reportedDuration('item|0')).toBe(1234.5)
  })

  it('reports at least every STATUS_INTERVAL_MS, and at once when asked', () => {
    const hold = new HoldLoop('a', (id) => id)
    const tick = ticker(hold)
    const sent = Array.from({ length: 20 }, () => tick(healthy).status).filter(Boolean)
    expect(sent).toHaveLength(Math.ceil((20 * 50) / STATUS_INTERVAL_MS))
    hold.reportNow()
    expect(tick(healthy).status).not.toBeNull()
  })

  it('a member stuck past the drop time is named in a notice, and its recovery too', () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    const tick = ticker(hold)
    hold.onStatus('c', status({ stalled: true, since: 10_000, at: 10_000 }), 10_000)
    const held: Timeline = { ...playing, held: true, at: 10_000 }
    expect(tick(healthy, { timeline: held }).waitingFor).toEqual(['c'])
    let notices: string[] = []
    for (let t = 0; t <= STALL_DROP_MS && notices.length === 0; t += 50) {
      hold.onStatus('c', status({ stalled: true, since: 10_000, at: 10_000 + t }), 10_000 + t)
      notices = tick(healthy, { timeline: held }).notices
    }
    expect(notices).toEqual(['C has been buffering for 15 s; the room plays on without them'])
    hold.onStatus('c', status({ stalled: false, since: 30_000, at: 30_000 }), 30_000)
    expect(tick(healthy).notices).toEqual(['C caught up'])
    expect(
      hold.health(
        [
          { id: 'a', name: 'A' },
          { id: 'c', name: 'C' },
        ],
        { driftMs: 1, rttMs: 3 },
        () => 7,
      ),
    ).toEqual([
      expect.objectContaining({ id: 'a', self: true, driftMs: 1, rttMs: 3 }),
      expect.objectContaining({ id: 'c', self: false, rttMs: 7, stalled: false, holding: false }),
    ])
  })

  it('measures a stall from when we first heard of it: a self-reported start cannot hold the room for ever', () => {
    const hold = new HoldLoop('a', (id) => id.toUpperCase())
    const tick = ticker(hold)
    const held: Timeline = { ...playing, held: true, at: 10_000 }
    let notices: string[] = []
    let waitingFor: readonly string[] = []
    // Every report claims the stall has just begun, or begins far in the future.
    for (let t = 50; t <= 2 * STALL_DROP_MS && notices.length === 0; t += 50) {
      const now = 10_000 + t
      hold.onStatus('c', status({ stalled: true, since: t % 100 === 0 ? now : 1e15, at: 1e15 }), now)
      ;({ notices, waitingFor } = tick(healthy, { timeline: held }))
    }
    expect(notices).toEqual(['C has been buffering for 15 s; the room plays on without them'])
    expect(waitingFor).toEqual([])
  })
})
