import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { ID_PATTERN } from '../../../signal-server/src/ids.ts'
import {
  INFO_HASH_PATTERN,
  InfoHash,
  integer,
  PEER_ID_PATTERN,
  PeerId,
  TimeMs,
} from '../../src/lib/wire/schemas.ts'

describe('PeerId', () => {
  it('is the signal server’s id rule', () => {
    expect(PEER_ID_PATTERN.source).toBe(ID_PATTERN.source)
    expect(PEER_ID_PATTERN.flags).toBe(ID_PATTERN.flags)
  })

  it.each([
    ['a random id', 'Xq3_-9aZ0bC1dE2fG3hI4j', true],
    ['one character', 'a', true],
    ['every unreserved character', 'aZ09._~-', true],
    ['dots among others', '.a.', true],
    ['128 characters', 'x'.repeat(128), true],
    ['empty', '', false],
    ['129 characters', 'x'.repeat(129), false],
    ['a dot', '.', false],
    ['two dots', '..', false],
    ['a slash', 'a/b', false],
    ['a colon', 'a:b', false],
    ['a space', 'a b', false],
    ['non-ASCII', 'é', false],
  ])('%s → %s', (_name, id, valid) => {
    expect(v.is(PeerId, id)).toBe(valid)
  })

  it('is a string', () => {
    expect(v.is(PeerId, 42)).toBe(false)
  })
})

describe('InfoHash', () => {
  it.each([
    ['40 lower-case hex digits', '0123456789abcdef'.repeat(2) + '01234567', true],
    ['upper case', 'A'.repeat(40), false],
    ['39 digits', 'a'.repeat(39), false],
    ['41 digits', 'a'.repeat(41), false],
    ['not hex', 'g'.repeat(40), false],
    ['base32', 'a'.repeat(32), false],
  ])('%s → %s', (_name, hash, valid) => {
    expect(v.is(InfoHash, hash)).toBe(valid)
    expect(INFO_HASH_PATTERN.test(hash)).toBe(valid)
  })
})

describe('TimeMs', () => {
  it.each([
    [1_700_000_000_000.25, true],
    [-4.5, true],
    [0, true],
    [Number.NaN, false],
    [Infinity, false],
    [-Infinity, false],
    ['1', false],
    [null, false],
  ])('%s → %s', (value, valid) => {
    expect(v.is(TimeMs, value)).toBe(valid)
  })
})

describe('integer', () => {
  it.each([
    [0, 10, 0, true],
    [0, 10, 10, true],
    [0, 10, 11, false],
    [0, 10, -1, false],
    [0, 10, 1.5, false],
    [1, undefined, 1, true],
    [1, undefined, 0, false],
    [1, undefined, 2 ** 60, true],
    [0, undefined, Infinity, false],
    [0, undefined, Number.NaN, false],
  ])('from %s to %s: %s → %s', (min, max, value, valid) => {
    expect(v.is(integer(min, max), value)).toBe(valid)
  })
})
