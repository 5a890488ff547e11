import { describe, expect, it } from 'vitest'
import type { UserAction } from '../../src/lib/sync/player.ts'
import {
  commandLeadMs,
  INITIAL_TIMELINE,
  RATE_MAX,
  type CommandBody,
  type Timeline,
} from '../../src/lib/sync/timeline.ts'
import { userCommand } from '../../src/lib/sync/user-command.ts'

const paused: Timeline = INITIAL_TIMELINE
const playing: Timeline = { ...INITIAL_TIMELINE, playing: true, rate: 2, at: 0 }
const lead = commandLeadMs(100) / 1000

describe('userCommand', () => {
  const cases: [string, UserAction, Timeline, boolean, CommandBody][] = [
    ['play', { type: 'play' }, paused, false, { kind: 'play' }],
    ['pause', { type: 'pause' }, playing, true, { kind: 'pause' }],
    [
      'a seek in a paused room: where the person put it',
      { type: 'seek', position: 42 },
      paused,
      false,
      { kind: 'seek', position: 42 },
    ],
    [
      'a seek while the room and the element move: ahead by the lead, at the room rate',
      { type: 'seek', position: 42 },
      playing,
      true,
      { kind: 'seek', position: 42 + lead * 2 },
    ],
    [
      'a seek while the element is paused: no lead',
      { type: 'seek', position: 42 },
      playing,
      false,
      { kind: 'seek', position: 42 },
    ],
    ['a seek before 0', { type: 'seek', position: -3 }, paused, false, { kind: 'seek', position: 0 }],
    [
      'a rate out of range is clamped',
      { type: 'ratechange', rate: 16 },
      paused,
      false,
      { kind: 'rate', rate: RATE_MAX },
    ],
  ]
  it.each(cases)('%s', (_name, action, timeline, elementPlaying, expected) => {
    const body = userCommand(action, {
      timeline,
      shared: 1_000,
      maxRttMs: 100,
      elementPlaying: () => elementPlaying,
    })
    expect(body).toEqual(expected)
  })

  it('asks the element only about a seek while the room moves', () => {
    let asked = 0
    const elementPlaying = () => (asked++, true)
    userCommand(
      { type: 'seek', position: 1 },
      { timeline: paused, shared: 1_000, maxRttMs: 0, elementPlaying },
    )
    userCommand(
      { type: 'seek', position: 1 },
      { timeline: playing, shared: undefined, maxRttMs: 0, elementPlaying },
    )
    userCommand({ type: 'play' }, { timeline: playing, shared: 1_000, maxRttMs: 0, elementPlaying })
    expect(asked).toBe(0)
    userCommand(
      { type: 'seek', position: 1 },
      { timeline: playing, shared: 1_000, maxRttMs: 0, elementPlaying },
    )
    expect(asked).toBe(1)
  })
})
