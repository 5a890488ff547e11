import { describe, expect, it } from 'vitest'
import { longestPresent, resolveHost, uniqueNames, type MemberInfo } from '../../src/lib/room/members.ts'

const m = (id: string, name: string, joinedAt: number): MemberInfo => ({ id, name, joinedAt })

describe('uniqueNames', () => {
  it('keeps the first name and suffixes later clashes in join order', () => {
    const members = [m('c', 'Ana', 30), m('a', 'Ana', 10), m('b', 'ana', 20), m('d', 'Bo', 5)]
    expect(Object.fromEntries(uniqueNames(members))).toEqual({
      a: 'Ana',
      b: 'ana (2)',
      c: 'Ana (3)',
      d: 'Bo',
    })
  })

  it('gives the same result whatever order the members are listed in', () => {
    const members = [m('x', 'Kim', 1), m('y', 'Kim', 1), m('z', 'Kim', 2)]
    const expected = Object.fromEntries(uniqueNames(members))
    expect(expected).toEqual({ x: 'Kim', y: 'Kim (2)', z: 'Kim (3)' })
    expect(Object.fromEntries(uniqueNames([...members].reverse()))).toEqual(expected)
  })

  it('skips a suffixed name someone already chose', () => {
    const members = [m('a', 'Ana (2)', 1), m('b', 'Ana', 2), m('c', 'Ana', 3)]
    expect(Object.fromEntries(uniqueNames(members))).toEqual({ a: 'Ana (2)', b: 'Ana', c: 'Ana (3)' })
  })

  it('names someone without a name', () => {
    expect(uniqueNames([m('a', '', 1)]).get('a')).toBe('Guest')
  })
})

describe('host hand-over', () => {
  const room = [m('host', 'H', 100), m('b', 'B', 200), m('c', 'C', 150), m('d', 'D', 150)]

  it('keeps a present host', () => {
    expect(resolveHost(room, 'b')).toBe('b')
  })

  it('gives the role to the longest-present member when the host leaves', () => {
    const remaining = room.filter((member) => member.id !== 'host')
    // c and d joined at the same instant: the peer id decides, identically on every peer.
    expect(longestPresent(remaining)).toBe('c')
    expect(resolveHost(remaining, 'host')).toBe('c')
    expect(resolveHost([...remaining].reverse(), 'host')).toBe('c')
  })

  it('resolves two claimed hosts (a split room merging) the same way on both sides', () => {
    expect(resolveHost(room, 'b', 'c')).toBe('c')
    expect(resolveHost(room, 'c', 'b')).toBe('c')
  })

  it('adopts a claimed host when none is known', () => {
    expect(resolveHost(room, null, 'b')).toBe('b')
    expect(resolveHost([], null)).toBeNull()
  })
})
