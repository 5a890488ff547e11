import { describe, expect, it } from 'vitest'
import {
  encodeRoomMessage,
  MAX_CHAT_LENGTH,
  parseRoomMessage,
  ROOM_PROTOCOL_VERSION,
} from '../../src/lib/room/protocol.ts'
import type { AuthorityWire, Signed, StateBody } from '../../src/lib/room/authority.ts'

const snapshot = { members: [], authority: null, chat: [], features: {} }
const pub = 'P'.repeat(43)
const sig = 'S'.repeat(86)
const room = 'R'.repeat(22)
const state: Signed<StateBody> = {
  body: { kind: 'state', room, term: 1, seq: 3, members: ['peer-1'], removed: ['peer-2'], locked: true },
  pub,
  sig,
}
const authority: AuthorityWire = {
  grants: [
    { body: { kind: 'genesis', room, term: 0, host: 'peer-0' }, pub, sig },
    {
      body: {
        kind: 'succession',
        room,
        term: 1,
        host: 'peer-1',
        after: { ...state, body: { ...state.body, term: 0 } },
      },
      pub,
      sig,
    },
  ],
  state,
}

function code(raw: unknown): string | null {
  const result = parseRoomMessage(raw)
  return result.ok ? null : result.error.code
}

describe('parseRoomMessage', () => {
  it('accepts every message type it encodes', () => {
    const messages = [
      { type: 'hello', self: { name: 'Ana', joinedAt: 1 }, snapshot },
      { type: 'presence', self: { name: 'Ana', joinedAt: 2 } },
      { type: 'chat', id: 'abc', name: 'Ana', text: 'hi', at: 3, sig: 'S'.repeat(86) },
      { type: 'hello', self: { name: 'Ana', joinedAt: 1 }, snapshot: { ...snapshot, authority } },
      { type: 'authority', authority },
      {
        type: 'rotate',
        statement: { body: { kind: 'rotate', room, term: 1, from: 'doc', secret: 'A'.repeat(22) }, pub, sig },
      },
      { type: 'ping', t: 4 },
      { type: 'pong', t: 4 },
      { type: 'feature', feature: 'playback', body: { anything: [1, 2] } },
    ] as const
    for (const message of messages) {
      expect(parseRoomMessage(encodeRoomMessage(message))).toEqual({
        ok: true,
        value: { v: ROOM_PROTOCOL_VERSION, ...message },
      })
    }
  })

  it('returns typed errors instead of throwing', () => {
    expect(code('{not json')).toBe('ERR_NOT_JSON')
    expect(code({ v: 99, type: 'chat', id: 'a', text: 'x', at: 1 })).toBe('ERR_VERSION')
    expect(code({ v: 1, type: 'shout', text: 'x' })).toBe('ERR_INVALID')
    expect(code({ v: 1, type: 'chat', id: 'a', text: '', at: 1 })).toBe('ERR_INVALID')
    expect(code({ v: 1, type: 'chat', id: 'a', text: 'x'.repeat(MAX_CHAT_LENGTH + 1), at: 1 })).toBe(
      'ERR_INVALID',
    )
    expect(code({ v: 1, type: 'chat', id: 'a', text: 'x', at: Number.NaN })).toBe('ERR_INVALID')
    const badHost = {
      ...authority.grants[0]!,
      body: { ...authority.grants[0]!.body, host: 'bad id/with slash' },
    }
    expect(code({ v: 1, type: 'authority', authority: { grants: [badHost], state: null } })).toBe(
      'ERR_INVALID',
    )
    expect(code({ v: 1, type: 'authority', authority: { grants: [], state: null } })).toBe('ERR_INVALID')
    const removed = { ...state, body: { ...state.body, removed: ['..'] } }
    expect(code({ v: 1, type: 'authority', authority: { ...authority, state: removed } })).toBe('ERR_INVALID')
    // the messages that let any member claim the host's powers are gone
    expect(code({ v: 1, type: 'lock', locked: true })).toBe('ERR_INVALID')
    expect(code({ v: 1, type: 'remove', peerId: 'peer-1' })).toBe('ERR_INVALID')
    expect(code(null)).toBe('ERR_INVALID')
    expect(code('x'.repeat(2_000_000))).toBe('ERR_TOO_LARGE')
  })

  it('names the field that is wrong', () => {
    const result = parseRoomMessage({
      v: 1,
      type: 'hello',
      self: { name: 'Ana', joinedAt: 'soon' },
      snapshot,
    })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.message).toContain('self.joinedAt')
  })

  it('never carries a sender field: a forged `from` is dropped', () => {
    const result = parseRoomMessage({
      ...{ v: 1, type: 'chat', id: 'a', name: 'Ana', text: 'hi', at: 1, sig: 'S'.repeat(86) },
      from: 'someone-else',
    })
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.value).not.toHaveProperty('from')
  })
})
