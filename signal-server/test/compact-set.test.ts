import { describe, expect, it } from 'vitest'
import { csAdd, csDelete, csHas, csSize, csValues, type CompactSet } from '../src/compact-set.ts'

/** Drive a CompactSet and a real Set with the same operations; they must always agree. */
function mirror(ops: Array<['add' | 'delete', string]>): void {
  let compact: CompactSet | undefined
  const real = new Set<string>()
  for (const [op, value] of ops) {
    if (op === 'add') {
      compact = csAdd(compact, value)
      real.add(value)
    } else {
      compact = csDelete(compact, value)
      real.delete(value)
    }
    expect(csSize(compact)).toBe(real.size)
    expect([...csValues(compact)].sort()).toEqual([...real].sort())
    for (const probe of ['a', 'b', 'k', 'z']) expect(csHas(compact, probe)).toBe(real.has(probe))
    if (real.size === 0) expect(compact).toBeUndefined()
  }
}

describe('CompactSet', () => {
  it('a single value is stored as the string itself', () => {
    expect(csAdd(undefined, 'a')).toBe('a')
    expect(csAdd('a', 'a')).toBe('a')
    expect(csDelete('a', 'a')).toBeUndefined()
    expect(csDelete('a', 'b')).toBe('a')
  })

  it('a few values are an array, many a Set, and shrinking back to one gives the string', () => {
    expect(csAdd('a', 'b')).toEqual(['a', 'b'])
    let set: CompactSet | undefined
    for (const value of 'abcdefghij') set = csAdd(set, value)
    expect(set).toBeInstanceOf(Set)
    expect(csDelete(['a', 'b'], 'a')).toBe('b')
  })

  it('agrees with Set over a seeded random sequence of adds and deletes', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const letters = 'abcdefghijklmnopqrstuvwxyz'
    const ops: Array<['add' | 'delete', string]> = []
    for (let i = 0; i < 2000; i++) {
      ops.push([random() < 0.6 ? 'add' : 'delete', letters[Math.floor(random() * 12)] as string])
    }
    mirror(ops)
  })
})
