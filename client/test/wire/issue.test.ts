import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { formatIssue } from '../../src/lib/wire/issue.ts'

const Schema = v.object({
  self: v.object({ name: v.string(), joinedAt: v.number() }),
  list: v.array(v.object({ id: v.string() })),
})

function issues(raw: unknown) {
  const result = v.safeParse(Schema, raw)
  if (result.success) throw new Error('expected a failure')
  return result.issues
}

describe('formatIssue', () => {
  it.each([
    ['a nested field', { self: { name: 'a', joinedAt: 'soon' }, list: [] }, 'self.joinedAt: '],
    ['an array item', { self: { name: 'a', joinedAt: 1 }, list: [{ id: 1 }] }, 'list.0.id: '],
    ['the first of several', { self: { name: 1, joinedAt: 'x' }, list: 3 }, 'self.name: '],
  ])('%s: path, then the message', (_name, raw, prefix) => {
    const list = issues(raw)
    expect(formatIssue(list)).toBe(`${prefix}${list[0].message}`)
  })

  it('a top-level issue is the message alone', () => {
    const list = issues('not an object')
    expect(formatIssue(list)).toBe(list[0].message)
    expect(list[0].message).toContain('Invalid type')
  })
})
