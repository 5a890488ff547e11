import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { decodeJson, parseJson, parseWith } from '../../src/lib/wire/parse.ts'

const Point = v.object({ x: v.number(), tags: v.array(v.string()) })

describe('decodeJson', () => {
  it.each([
    ['an object', '{"a":1}', Infinity, { ok: true, value: { a: 1 } }],
    ['null', 'null', Infinity, { ok: true, value: null }],
    ['text at the bound', '"abc"', 5, { ok: true, value: 'abc' }],
    ['text over the bound', '"abcd"', 5, { ok: false, error: { code: 'ERR_TOO_LARGE' } }],
    ['broken JSON', '{not json', Infinity, { ok: false, error: { code: 'ERR_NOT_JSON' } }],
    ['empty text', '', Infinity, { ok: false, error: { code: 'ERR_NOT_JSON' } }],
  ])('%s', (_name, text, maxLength, want) => {
    expect(decodeJson(text, maxLength)).toMatchObject(want)
  })
})

describe('parseWith', () => {
  it('returns the schema’s output, unknown fields stripped', () => {
    expect(parseWith(Point, { x: 1, tags: [], extra: true })).toEqual({ ok: true, value: { x: 1, tags: [] } })
  })

  it.each([
    ['a wrong field', { x: 'one', tags: [] }, /^x: /],
    ['a wrong array item', { x: 1, tags: ['a', 2] }, /^tags\.1: /],
    ['not an object', 7, /^Invalid type/],
  ])('names %s in ERR_INVALID', (_name, raw, message) => {
    const result = parseWith(Point, raw)
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_INVALID' } })
    if (!result.ok) expect(result.error.message).toMatch(message)
  })
})

describe('parseJson', () => {
  it.each([
    ['valid', '{"x":2,"tags":["a"]}', { ok: true, value: { x: 2, tags: ['a'] } }],
    ['not JSON', '{x', { ok: false, error: { code: 'ERR_NOT_JSON' } }],
    ['JSON of the wrong shape', '{"x":2}', { ok: false, error: { code: 'ERR_INVALID' } }],
  ])('%s', (_name, text, want) => {
    expect(parseJson(Point, text)).toMatchObject(want)
  })

  it('refuses text over the bound unread', () => {
    expect(parseJson(Point, '{"x":2,"tags":[]}', 4)).toMatchObject({
      ok: false,
      error: { code: 'ERR_TOO_LARGE' },
    })
  })
})
