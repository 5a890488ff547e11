import { describe, expect, it } from 'vitest'
import type { UserAction } from '../../src/lib/sync/player.ts'
import { RATE_MAX, type CommandBody } from '../../src/lib/sync/timeline.ts'
import { userCommand } from '../../src/lib/sync/user-command.ts'

describe('userCommand', () => {
  const cases: [string, UserAction, CommandBody][] = [
    ['play', { type: 'play' }, { kind: 'play' }],
    ['pause', { type: 'pause' }, { kind: 'pause' }],
    // The room holds at the target whether it plays or not: no lead to aim ahead by.
    ['a seek: where the person put it', { type: 'seek', position: 42 }, { kind: 'seek', position: 42 }],
    ['a seek before 0', { type: 'seek', position: -3 }, { kind: 'seek', position: 0 }],
    ['a rate out of range is clamped', { type: 'ratechange', rate: 16 }, { kind: 'rate', rate: RATE_MAX }],
  ]
  it.each(cases)('%s', (_name, action, expected) => {
    expect(userCommand(action)).toEqual(expected)
  })
})
