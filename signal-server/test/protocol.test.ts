import { pack, unpack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../src/errors.ts'
import {
  MAX_IDS_PER_MESSAGE,
  encodeError,
  encodeIntroduction,
  parseClientMessage,
  type Parsed,
} from '../src/protocol.ts'

const msgpack = (value: unknown) => parseClientMessage(Buffer.from(pack(value)), true)
const json = (value: unknown) => parseClientMessage(Buffer.from(JSON.stringify(value)), false)
const text = (raw: string) => parseClientMessage(Buffer.from(raw, 'utf8'), false)
const bytes = (raw: number[]) => parseClientMessage(Buffer.from(raw), true)

function errorCode(result: Parsed | ProtocolError): string {
  expect(result).toBeInstanceOf(ProtocolError)
  return (result as ProtocolError).code
}

/** A msgpack map written key by key, so keys like `__proto__` reach the decoder verbatim. */
function rawMap(entries: Array<[string, unknown]>): Buffer {
  return Buffer.concat([
    Buffer.from([0x80 | entries.length]),
    ...entries.flatMap(([key, value]) => [Buffer.from(pack(key)), Buffer.from(pack(value))]),
  ])
}

describe('parseClientMessage: msgpack dialect (relay 4)', () => {
  it('parses Join and Leave with documentIds', () => {
    expect(msgpack({ type: 'Join', documentIds: ['a', 'b'] })).toEqual({
      dialect: 'msgpack',
      message: { type: 'Join', documentIds: ['a', 'b'] },
    })
    expect(msgpack({ type: 'Leave', documentIds: ['a'] })).toEqual({
      dialect: 'msgpack',
      message: { type: 'Leave', documentIds: ['a'] },
    })
  })

  it('accepts both heartbeat spellings', () => {
    expect(msgpack({ type: 'Heartbeat' })).toEqual({ dialect: 'msgpack', message: { type: 'Heartbeat' } })
    expect(msgpack({ type: '❤️' })).toEqual({ dialect: 'msgpack', message: { type: 'Heartbeat' } })
  })

  it('ignores extra fields', () => {
    expect(msgpack({ type: 'Join', documentIds: ['a'], extra: { deep: [1] } })).toEqual({
      dialect: 'msgpack',
      message: { type: 'Join', documentIds: ['a'] },
    })
  })

  it('rejects the JSON dialect shape inside msgpack', () => {
    expect(errorCode(msgpack({ type: 'Join', join: ['a'] }))).toBe('invalid-message')
  })

  it.each([
    ['truncated map', [0x82, 0xa4]],
    ['empty frame', []],
    ['array claiming 2^32-1 items', [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ['map claiming 2^32-1 entries', [0xdf, 0xff, 0xff, 0xff, 0xff]],
    ['str32 longer than the frame', [0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]],
    ['unknown extension', [0xd4, 0x7e, 0x00]],
    ['trailing bytes after a value', [...pack({ type: 'Heartbeat' }), 0x01]],
    ['16k nested arrays', new Array<number>(16_000).fill(0x91)],
  ])('returns invalid-msgpack for %s', (_name, raw) => {
    expect(errorCode(bytes(raw))).toBe('invalid-msgpack')
  })

  it('rejects the reserved byte 0xc1 (msgpackr decodes it to a non-object)', () => {
    expect(['invalid-msgpack', 'invalid-message']).toContain(errorCode(bytes([0xc1])))
  })

  it.each([
    ['a number', 42],
    ['a string', 'Join'],
    ['null', null],
    ['an array', [{ type: 'Join' }]],
    ['an object without type', { documentIds: ['a'] }],
    ['a non-string type', { type: 7 }],
  ])('returns invalid-message for %s', (_name, value) => {
    expect(errorCode(msgpack(value))).toBe('invalid-message')
  })

  it.each([
    ['missing documentIds', { type: 'Join' }],
    ['documentIds not an array', { type: 'Join', documentIds: 'a' }],
    ['array-like object', { type: 'Join', documentIds: { length: 1, 0: 'a' } }],
    ['non-string ids', { type: 'Leave', documentIds: [1, 2] }],
    ['nested arrays', { type: 'Join', documentIds: [['a']] }],
    ['too many ids', { type: 'Join', documentIds: new Array(MAX_IDS_PER_MESSAGE + 1).fill('a') }],
  ])('returns invalid-message for %s', (_name, value) => {
    expect(errorCode(msgpack(value))).toBe('invalid-message')
  })

  it('accepts exactly MAX_IDS_PER_MESSAGE ids', () => {
    const ids = Array.from({ length: MAX_IDS_PER_MESSAGE }, (_, i) => `d${i}`)
    expect(msgpack({ type: 'Join', documentIds: ids })).toMatchObject({ message: { documentIds: ids } })
  })

  it.each([
    ['empty', ''],
    ['129 characters', 'a'.repeat(129)],
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['a space', 'a b'],
    ['non-ASCII', 'café'],
    ['a percent sign', 'a%2F'],
  ])('returns invalid-document-id for an id with %s', (_name, id) => {
    expect(errorCode(msgpack({ type: 'Join', documentIds: ['ok', id] }))).toBe('invalid-document-id')
  })

  it('accepts ids of 1 and 128 characters of the whole charset', () => {
    const ids = ['x', 'a'.repeat(128), 'AZaz09._~-']
    expect(msgpack({ type: 'Join', documentIds: ids })).toMatchObject({ message: { documentIds: ids } })
  })

  it('returns unknown-type for other types, with the type truncated in the message', () => {
    const result = msgpack({ type: 'x'.repeat(10_000) })
    expect(errorCode(result)).toBe('unknown-type')
    expect((result as ProtocolError).message.length).toBeLessThan(200)
    expect(errorCode(msgpack({ type: 'Introduction', peerId: 'a', documentIds: [] }))).toBe('unknown-type')
    expect(errorCode(msgpack({ type: 'constructor' }))).toBe('unknown-type')
  })

  it('does not pollute prototypes through __proto__ or constructor keys', () => {
    const result = parseClientMessage(
      rawMap([
        ['type', 'Join'],
        ['documentIds', ['a']],
        ['__proto__', { polluted: true }],
        ['constructor', { prototype: { polluted: true } }],
      ]),
      true,
    )
    expect(result).toEqual({ dialect: 'msgpack', message: { type: 'Join', documentIds: ['a'] } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a __proto__ key cannot supply the type', () => {
    expect(errorCode(parseClientMessage(rawMap([['__proto__', { type: 'Join' }]]), true))).toBe(
      'invalid-message',
    )
  })
})

describe('parseClientMessage: JSON dialect (cevitxe seed)', () => {
  it('parses Join {join} and Leave {leave}', () => {
    expect(json({ type: 'Join', join: ['happy-raccoon', 'qrs987'] })).toEqual({
      dialect: 'json',
      message: { type: 'Join', documentIds: ['happy-raccoon', 'qrs987'] },
    })
    expect(json({ type: 'Leave', leave: ['qrs987'] })).toEqual({
      dialect: 'json',
      message: { type: 'Leave', documentIds: ['qrs987'] },
    })
  })

  it('accepts both heartbeat spellings', () => {
    expect(json({ type: 'Heartbeat' })).toEqual({ dialect: 'json', message: { type: 'Heartbeat' } })
    expect(json({ type: '❤️' })).toEqual({ dialect: 'json', message: { type: 'Heartbeat' } })
  })

  it.each([
    ['an empty frame', ''],
    ['truncated JSON', '{"type":"Join"'],
    ['two values', '{"type":"Heartbeat"} {}'],
    ['unbalanced brackets', '['.repeat(10_000)],
    ['JavaScript, not JSON', "{type:'Join'}"],
  ])('returns invalid-json for %s', (_name, raw) => {
    expect(errorCode(text(raw))).toBe('invalid-json')
  })

  it.each([
    ['a number', '1'],
    ['null', 'null'],
    ['a string', '"Join"'],
    ['an array', '[]'],
    ['a non-string type', '{"type":["Join"]}'],
    ['the msgpack shape', '{"type":"Join","documentIds":["a"]}'],
    ['Join with leave', '{"type":"Join","leave":["a"]}'],
    ['Leave with join', '{"type":"Leave","join":["a"]}'],
    ['join not an array', '{"type":"Join","join":"a"}'],
    ['non-string ids', '{"type":"Join","join":[null]}'],
  ])('returns invalid-message for %s', (_name, raw) => {
    expect(errorCode(text(raw))).toBe('invalid-message')
  })

  it('returns invalid-message for a huge array', () => {
    expect(errorCode(json({ type: 'Join', join: new Array(100_000).fill('a') }))).toBe('invalid-message')
  })

  it('parses a deeply nested but valid value without crashing', () => {
    const deep = `{"type":"Join","join":["a"],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`
    expect(text(deep)).toMatchObject({ message: { type: 'Join' } })
  })

  it('returns invalid-document-id and unknown-type', () => {
    expect(errorCode(json({ type: 'Join', join: ['a/b'] }))).toBe('invalid-document-id')
    expect(errorCode(json({ type: 'Leave', leave: [''] }))).toBe('invalid-document-id')
    expect(errorCode(json({ type: 'Connect', id: 'x' }))).toBe('unknown-type')
  })

  it('does not pollute prototypes through __proto__', () => {
    const result = text('{"type":"Join","join":["a"],"__proto__":{"polluted":true,"type":"Leave"}}')
    expect(result).toEqual({ dialect: 'json', message: { type: 'Join', documentIds: ['a'] } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('never throws, whatever the bytes', () => {
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 256
    for (let i = 0; i < 2000; i++) {
      const raw = Buffer.from(Array.from({ length: 1 + (i % 64) }, () => Math.floor(random())))
      expect(() => parseClientMessage(raw, i % 2 === 0)).not.toThrow()
    }
  })
})

describe('encodeIntroduction', () => {
  it('msgpack: exactly {type, peerId, documentIds}, nothing else', () => {
    const encoded = encodeIntroduction('msgpack', 'peer-1', ['a', 'b'])
    expect(Buffer.isBuffer(encoded)).toBe(true)
    const decoded = unpack(encoded as Buffer) as Record<string, unknown>
    expect(decoded).toEqual({ type: 'Introduction', peerId: 'peer-1', documentIds: ['a', 'b'] })
    expect(Object.keys(decoded).sort()).toEqual(['documentIds', 'peerId', 'type'])
  })

  it('msgpack: decodable by a plain msgpack decoder (no records or extensions)', () => {
    const encoded = encodeIntroduction('msgpack', 'p', ['d']) as Buffer
    // A plain map (fixmap, map16 or map32), not a msgpackr record extension.
    expect(encoded[0] === 0xde || encoded[0] === 0xdf || (encoded[0]! & 0xf0) === 0x80).toBe(true)
  })

  it('JSON: exactly {type:"Introduction", id, keys} as text', () => {
    const encoded = encodeIntroduction('json', 'qrst7890', ['abcd1234'])
    expect(typeof encoded).toBe('string')
    const decoded = JSON.parse(encoded as string) as Record<string, unknown>
    expect(decoded).toEqual({ type: 'Introduction', id: 'qrst7890', keys: ['abcd1234'] })
    expect(Object.keys(decoded).sort()).toEqual(['id', 'keys', 'type'])
  })

  it('encodeError: {type:"Error", code, message}', () => {
    const encoded = encodeError(new ProtocolError('unknown-type', 'nope'))
    expect(JSON.parse(encoded)).toEqual({ type: 'Error', code: 'unknown-type', message: 'nope' })
  })
})
