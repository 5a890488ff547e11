import { describe, expect, it } from 'vitest'
import {
  COMMAND_AHEAD_MAX_MS,
  COMMAND_BEHIND_MAX_MS,
  commandInstantOutOfBounds,
  commandOutOfBounds,
  logOutOfBounds,
} from '../../src/lib/sync/bounds.ts'
import { hlcReceive, hlcTick, MAX_HLC_COUNTER, stampInBounds } from '../../src/lib/sync/hlc.ts'
import { INITIAL_TIMELINE, type Command } from '../../src/lib/sync/timeline.ts'
import { MAX_CLOCK_OFFSET_MS } from '../../src/lib/wire/time.ts'

const now = 5_000_000
const play = (wall: number, counter = 0, effectiveAt = now): Command => ({
  kind: 'play',
  stamp: { wall, counter, peer: 'b' },
  effectiveAt,
})

describe('HLC bounds', () => {
  it('believes a stamp at most a day ahead, with a counter within MAX_HLC_COUNTER', () => {
    expect(stampInBounds({ wall: now + MAX_CLOCK_OFFSET_MS, counter: MAX_HLC_COUNTER }, now)).toBe(true)
    expect(stampInBounds({ wall: 0, counter: 0 }, now)).toBe(true) // old stamps only lose to newer ones
    expect(stampInBounds({ wall: now + MAX_CLOCK_OFFSET_MS + 1, counter: 0 }, now)).toBe(false)
    expect(stampInBounds({ wall: 1e16, counter: 0 }, now)).toBe(false)
    expect(stampInBounds({ wall: now, counter: MAX_HLC_COUNTER + 1 }, now)).toBe(false)
    expect(stampInBounds({ wall: now, counter: 2 ** 53 - 1 }, now)).toBe(false)
  })

  it('carries a full counter into the next ms, so a clock pushed to the limit still moves forward', () => {
    const full = { wall: now + 10, counter: MAX_HLC_COUNTER }
    expect(hlcTick(full, now)).toEqual({ wall: now + 11, counter: 0 })
    expect(hlcReceive({ wall: now, counter: 0 }, full, now)).toEqual({ wall: now + 11, counter: 0 })
    expect(hlcReceive(full, full, now)).toEqual({ wall: now + 11, counter: 0 })
  })
})

describe('playback bounds', () => {
  it('names what is out of bounds in a command', () => {
    expect(commandOutOfBounds(play(now), now)).toBeNull()
    expect(commandOutOfBounds(play(now, 2 ** 53 - 2), now)).toBe('its stamp is out of bounds')
    expect(commandOutOfBounds(play(now, 0, 1e16), now)).toBe('it takes effect more than a day ahead')
  })

  it('names what is out of bounds in a snapshot', () => {
    const base = { ...INITIAL_TIMELINE, stamp: { wall: now, counter: 0, peer: 'a' } }
    expect(logOutOfBounds(base, [play(now)], now)).toBeNull()
    expect(logOutOfBounds({ ...base, stamp: { wall: 1e16, counter: 0, peer: 'a' } }, [], now)).toBe(
      'its base stamp is out of bounds',
    )
    expect(logOutOfBounds({ ...base, releasedAt: 1e16 }, [], now)).toBe('its base is more than a day ahead')
    expect(logOutOfBounds(base, [play(1e16)], now)).toBe('a command: its stamp is out of bounds')
  })
})

describe('live command instants', () => {
  it('believes an instant within a lead and a delay of now, not a release far ahead or far back', () => {
    const release = (effectiveAt: number): Command => ({
      kind: 'release',
      stamp: { wall: now, counter: 0, peer: 'b' },
      effectiveAt,
    })
    expect(commandInstantOutOfBounds(release(now + 100), now)).toBeNull()
    expect(commandInstantOutOfBounds(release(now - 2_000), now)).toBeNull()
    expect(commandInstantOutOfBounds(release(now + COMMAND_AHEAD_MAX_MS + 1), now)).toMatch(/too far ahead/)
    expect(commandInstantOutOfBounds(release(now - COMMAND_BEHIND_MAX_MS - 1), now)).toMatch(/too long ago/)
  })
})
