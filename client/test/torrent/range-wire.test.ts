import { describe, expect, it } from 'vitest'
import {
  ANSWER_BYTES,
  encodeAnswer,
  encodeRequest,
  MAX_FILES,
  MAX_REQUEST_BYTES,
  parseRangeAnswer,
  parseRangeRequest,
} from '../../src/lib/torrent/range-wire.ts'

const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe('range requests', () => {
  it('reads a get and a cancel back', () => {
    const get = { t: 'get', id: 7, file: 0, start: 100, end: 100 + MAX_REQUEST_BYTES } as const
    expect(parseRangeRequest(encodeRequest(get))).toEqual({ ok: true, value: get })
    expect(parseRangeRequest(encodeRequest({ t: 'cancel', id: 7 }))).toEqual({
      ok: true,
      value: { t: 'cancel', id: 7 },
    })
  })

  it.each([
    ['an empty range', { t: 'get', id: 1, file: 0, start: 10, end: 10 }],
    ['a range backwards', { t: 'get', id: 1, file: 0, start: 10, end: 5 }],
    ['more than a request may ask', { t: 'get', id: 1, file: 0, start: 0, end: MAX_REQUEST_BYTES + 1 }],
    ['a negative start', { t: 'get', id: 1, file: 0, start: -1, end: 5 }],
    ['a fractional offset', { t: 'get', id: 1, file: 0, start: 0.5, end: 5 }],
    ['a file index out of bounds', { t: 'get', id: 1, file: MAX_FILES, start: 0, end: 5 }],
    ['an id beyond 32 bits', { t: 'get', id: 2 ** 32, file: 0, start: 0, end: 5 }],
    ['an unknown type', { t: 'put', id: 1 }],
    ['no id', { t: 'cancel' }],
  ])('refuses %s', (_, request) => {
    const parsed = parseRangeRequest(text(request))
    expect(parsed.ok).toBe(false)
  })

  it('refuses what is not JSON bytes, and long text unread', () => {
    expect(parseRangeRequest('{"t":"cancel","id":1}')).toMatchObject({
      ok: false,
      error: { code: 'ERR_NOT_OBJECT' },
    })
    expect(parseRangeRequest(new Uint8Array([0xff, 0x00]))).toMatchObject({
      ok: false,
      error: { code: 'ERR_NOT_JSON' },
    })
    const long = text({ t: 'cancel', id: 1, pad: 'x'.repeat(300) })
    expect(parseRangeRequest(long)).toMatchObject({ ok: false, error: { code: 'ERR_TOO_LARGE' } })
  })
})

describe('range answers', () => {
  it('reads data, end and refusals back', () => {
    const bytes = new Uint8Array([1, 2, 3])
    expect(parseRangeAnswer(encodeAnswer({ t: 'data', id: 2 ** 32 - 1, bytes }))).toEqual({
      ok: true,
      value: { t: 'data', id: 2 ** 32 - 1, bytes },
    })
    expect(parseRangeAnswer(encodeAnswer({ t: 'end', id: 3 }))).toEqual({
      ok: true,
      value: { t: 'end', id: 3 },
    })
    expect(parseRangeAnswer(encodeAnswer({ t: 'refused', id: 4, reason: 'no such file' }))).toEqual({
      ok: true,
      value: { t: 'refused', id: 4, reason: 'no such file' },
    })
  })

  it('reads an answer that sits inside a larger buffer', () => {
    const encoded = encodeAnswer({ t: 'data', id: 9, bytes: new Uint8Array([5, 6]) })
    const outer = new Uint8Array(encoded.length + 3)
    outer.set(encoded, 3)
    expect(parseRangeAnswer(outer.subarray(3))).toMatchObject({ ok: true, value: { t: 'data', id: 9 } })
  })

  it.each([
    ['text', 'hello', 'ERR_NOT_OBJECT'],
    ['a short header', new Uint8Array([0, 0, 0]), 'ERR_INVALID'],
    ['an unknown kind', new Uint8Array([9, 0, 0, 0, 1]), 'ERR_UNKNOWN_TYPE'],
    ['empty data', new Uint8Array([0, 0, 0, 0, 1]), 'ERR_INVALID'],
    ['an end with a body', new Uint8Array([1, 0, 0, 0, 1, 7]), 'ERR_INVALID'],
    ['more than an answer carries', new Uint8Array(5 + ANSWER_BYTES + 1), 'ERR_TOO_LARGE'],
  ])('refuses %s', (_, raw, code) => {
    expect(parseRangeAnswer(raw)).toMatchObject({ ok: false, error: { code } })
  })
})
