import { describe, expect, it } from 'vitest'
import { shouldStart, START_WAIT_MS, waitingToStart, type StartReport } from '../../src/lib/sync/start.ts'

const ITEM = 'item-1|0'

describe('waitingToStart', () => {
  const cases: { name: string; reports: [string, StartReport][]; waiting: string[] }[] = [
    { name: 'nobody has reported yet: everyone else', reports: [], waiting: ['b', 'c'] },
    {
      name: 'ready for this item: not waited for',
      reports: [
        ['b', { readyFor: ITEM, optOut: false }],
        ['c', { readyFor: ITEM, optOut: false }],
      ],
      waiting: [],
    },
    {
      name: 'ready for the previous item only: still waited for',
      reports: [
        ['b', { readyFor: 'item-0|0', optOut: false }],
        ['c', { readyFor: ITEM, optOut: false }],
      ],
      waiting: ['b'],
    },
    {
      name: 'not ready (null) or an older peer without the field: waited for',
      reports: [
        ['b', { readyFor: null, optOut: false }],
        ['c', { optOut: false }],
      ],
      waiting: ['b', 'c'],
    },
    {
      name: 'opted out of holding the room: not waited for',
      reports: [
        ['b', { readyFor: null, optOut: true }],
        ['c', { readyFor: ITEM, optOut: false }],
      ],
      waiting: [],
    },
    {
      name: 'our own report never counts',
      reports: [['a', { readyFor: null, optOut: false }]],
      waiting: ['b', 'c'],
    },
  ]
  for (const { name, reports, waiting } of cases)
    it(name, () => {
      expect(waitingToStart(ITEM, ['a', 'b', 'c'], 'a', new Map(reports))).toEqual(waiting)
    })

  it('a member who left is not waited for (only present members count)', () => {
    const reports = new Map<string, StartReport>([['gone', { readyFor: null, optOut: false }]])
    expect(waitingToStart(ITEM, ['a'], 'a', reports)).toEqual([])
  })
})

describe('shouldStart', () => {
  it('starts at once when nobody is left to wait for', () => {
    expect(shouldStart([], 0)).toBe(true)
  })
  it('waits for a member until START_WAIT_MS, then starts without them', () => {
    expect(shouldStart(['b'], 0)).toBe(false)
    expect(shouldStart(['b'], START_WAIT_MS - 1)).toBe(false)
    expect(shouldStart(['b'], START_WAIT_MS)).toBe(true)
  })
  it('a member who did not add the item never starts it without the others', () => {
    expect(shouldStart([], null)).toBe(true)
    expect(shouldStart(['b'], null)).toBe(false)
  })
})
