import { describe, expect, it } from 'vitest'
import type { Action } from '../../src/lib/sync/decide.ts'
import { perform } from '../../src/lib/sync/player.ts'

describe('perform', () => {
  it('maps every action onto the player', async () => {
    const calls: string[] = []
    const fake = {
      snapshot: () => {
        throw new Error('unused')
      },
      play: async () => void calls.push('play'),
      pause: () => void calls.push('pause'),
      seek: (t: number) => void calls.push(`seek ${t}`),
      setRate: (r: number) => void calls.push(`rate ${r}`),
      onUserAction: () => () => {},
    }
    const actions: Action[] = [
      { type: 'none' },
      { type: 'play' },
      { type: 'pause' },
      { type: 'seek', position: 3 },
      { type: 'setRate', rate: 1.1 },
    ]
    for (const a of actions) await perform(fake, a)
    expect(calls).toEqual(['play', 'pause', 'seek 3', 'rate 1.1'])
  })
})
