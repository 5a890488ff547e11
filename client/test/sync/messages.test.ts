import { describe, expect, it } from 'vitest'
import { parseSyncMessage, type SyncMessage } from '../../src/lib/sync/messages.ts'

const stamp = { wall: 1700000000000, counter: 2, peer: 'peer-a' }
const valid: SyncMessage[] = [
  { type: 'sync/ping', id: 1, t0: 1700000000000.25 },
  { type: 'sync/pong', id: 1, t0: 1, t1: -2.5, t2: 3 },
  { type: 'sync/command', command: { kind: 'play', stamp, effectiveAt: 5 } },
  { type: 'sync/command', command: { kind: 'seek', position: 12.5, stamp, effectiveAt: 5 } },
  { type: 'sync/command', command: { kind: 'rate', rate: 1.25, stamp, effectiveAt: 5 } },
  { type: 'sync/command', command: { kind: 'release', stamp, effectiveAt: 5 } },
  {
    type: 'sync/status',
    at: 9,
    position: 3,
    bufferedAhead: 12,
    stalled: false,
    since: 0,
    optOut: false,
    holding: false,
    driftMs: -4.2,
    rttMs: null,
  },
  {
    type: 'sync/status',
    at: 9,
    position: 3,
    bufferedAhead: 12,
    stalled: false,
    since: 0,
    optOut: true,
    holding: false,
    driftMs: null,
    rttMs: 3,
    readyFor: 'item|0',
    duration: 6012.5,
  },
  {
    type: 'sync/state',
    base: {
      playing: true,
      held: false,
      position: 1,
      rate: 1,
      at: 2,
      releasedAt: 0,
      stamp: null,
      previous: null,
    },
    commands: [{ kind: 'pause', stamp, effectiveAt: 7 }],
  },
]

describe('parseSyncMessage', () => {
  for (const message of valid) {
    it(`accepts ${message.type} ${'command' in message ? message.command.kind : ''}`, () => {
      expect(parseSyncMessage(JSON.parse(JSON.stringify(message)))).toEqual({ ok: true, value: message })
    })
  }

  it('drops history and unknown fields from a state snapshot', () => {
    const parsed = parseSyncMessage({
      type: 'sync/state',
      base: {
        playing: false,
        held: false,
        position: 1,
        rate: 1,
        at: 2,
        releasedAt: 0,
        stamp: null,
        extra: 1,
        previous: { x: 1 },
      },
      commands: [],
    })
    expect(parsed.ok && parsed.value).toEqual({
      type: 'sync/state',
      base: {
        playing: false,
        held: false,
        position: 1,
        rate: 1,
        at: 2,
        releasedAt: 0,
        stamp: null,
        previous: null,
      },
      commands: [],
    })
  })

  const hostile = {
    get type(): string {
      throw new Error('boom')
    },
  }
  const invalid: [string, unknown, string][] = [
    ['null', null, 'ERR_NOT_OBJECT'],
    ['a string', 'sync/ping', 'ERR_NOT_OBJECT'],
    ['an array', [{ type: 'sync/ping' }], 'ERR_NOT_OBJECT'],
    ['no type', { id: 1 }, 'ERR_UNKNOWN_TYPE'],
    ['another protocol', { type: 'room/join' }, 'ERR_UNKNOWN_TYPE'],
    [
      'type with a hostile toString',
      {
        type: {
          toString: () => {
            throw new Error('x')
          },
        },
      },
      'ERR_UNKNOWN_TYPE',
    ],
    ['a throwing getter', hostile, 'ERR_NOT_OBJECT'],
    ['ping without t0', { type: 'sync/ping', id: 1 }, 'ERR_INVALID'],
    ['ping with a fractional id', { type: 'sync/ping', id: 1.5, t0: 1 }, 'ERR_INVALID'],
    ['pong with a string time', { type: 'sync/pong', id: 1, t0: 1, t1: '2', t2: 3 }, 'ERR_INVALID'],
    ['NaN-ish time', { type: 'sync/ping', id: 1, t0: Infinity }, 'ERR_INVALID'],
    [
      'unknown command',
      { type: 'sync/command', command: { kind: 'stop', stamp, effectiveAt: 1 } },
      'ERR_INVALID',
    ],
    [
      'seek to -1',
      { type: 'sync/command', command: { kind: 'seek', position: -1, stamp, effectiveAt: 1 } },
      'ERR_INVALID',
    ],
    [
      'rate missing',
      { type: 'sync/command', command: { kind: 'rate', stamp, effectiveAt: 1 } },
      'ERR_INVALID',
    ],
    [
      'empty peer id',
      { type: 'sync/command', command: { kind: 'play', stamp: { ...stamp, peer: '' }, effectiveAt: 1 } },
      'ERR_INVALID',
    ],
    [
      'a peer id the signal server would refuse',
      { type: 'sync/command', command: { kind: 'play', stamp: { ...stamp, peer: 'a/b' }, effectiveAt: 1 } },
      'ERR_INVALID',
    ],
    ['status missing drift', { ...valid[6], driftMs: undefined }, 'ERR_INVALID'],
    ['status with a negative length', { ...valid[7], duration: -1 }, 'ERR_INVALID'],
    ['status with an endless length', { ...valid[7], duration: 1e12 }, 'ERR_INVALID'],
  ]
  for (const [name, raw, code] of invalid) {
    it(`rejects ${name} with ${code}, without throwing`, () => {
      const parsed = parseSyncMessage(raw)
      expect(parsed).toMatchObject({ ok: false, error: { code } })
    })
  }
})
