import { describe, expect, it } from 'vitest'
import { expectError, expectWarning, takeUnexpected } from './console.ts'

describe('console guard', () => {
  it('leaves what a test did not claim for the check after it', () => {
    console.warn('stray %s', 'warning', 3)
    console.error(new Error('boom'))
    const unexpected = takeUnexpected()
    expect(unexpected[0]).toBe('console.warn: stray warning 3')
    expect(unexpected[1]).toMatch(/^console\.error: Error: boom/)
    expect(unexpected).toHaveLength(2)
    expect(takeUnexpected()).toEqual([])
  })

  it('claims an expected warning or error, by level, and returns its text', () => {
    console.warn('a: first')
    console.error('b: second')
    console.warn('c: third')
    expect(expectWarning(/^c:/)).toBe('c: third')
    expect(expectError(/^b:/)).toBe('b: second')
    expect(takeUnexpected()).toEqual(['console.warn: a: first'])
  })

  it('fails when nothing matching was logged, naming what was', () => {
    console.error('only an error')
    expect(() => expectWarning(/only an error/)).toThrow(
      /console\.warn matching .*\n {2}console\.error: only an error/,
    )
    expect(() => expectError(/something else/)).toThrow(/expected a console\.error matching/)
    expectError(/^only an error$/)
    expect(() => expectWarning(/anything/)).toThrow(/\n {2}nothing$/)
  })
})
