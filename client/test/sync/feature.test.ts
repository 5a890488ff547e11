import { describe, expect, it } from 'vitest'
import {
  formatDrift,
  frameDelta,
  isEmptyLog,
  mergeLogs,
  offsetTo,
  parsePlaybackBody,
  parsePlaybackSnapshot,
  rebaseCommand,
  rebaseLog,
} from '../../src/lib/sync/feature.ts'
import type { OffsetEstimate } from '../../src/lib/sync/clock.ts'
import {
  addCommand,
  createLog,
  positionAt,
  type Command,
  type PlaybackLog,
} from '../../src/lib/sync/timeline.ts'

function command(kind: 'play' | 'pause', wall: number, peer: string, effectiveAt: number): Command {
  return { kind, stamp: { wall, counter: 0, peer }, effectiveAt }
}

function seek(position: number, wall: number, peer: string, effectiveAt: number): Command {
  return { kind: 'seek', position, stamp: { wall, counter: 0, peer }, effectiveAt }
}

const log = (...commands: Command[]): PlaybackLog => commands.reduce(addCommand, createLog())

function estimate(offset: number, samples = 5): OffsetEstimate {
  return { offset, rtt: 2, confidence: 1, samples }
}

describe('parsePlaybackBody', () => {
  it.each([
    ['a ping, no item', { type: 'sync/ping', id: 1, t0: 5 }, { item: '', frame: null }],
    [
      'a command with item and frame',
      { type: 'sync/command', command: command('play', 1, 'a', 2), item: 'x|', frame: 'h' },
      { item: 'x|', frame: 'h' },
    ],
  ])('%s', (_name, raw, want) => {
    const body = parsePlaybackBody(raw)
    expect(body).toMatchObject({ ok: true, value: want })
  })

  it.each([
    ['not an object', 3, 'ERR_NOT_OBJECT'],
    ['unknown type', { type: 'sync/nope' }, 'ERR_UNKNOWN_TYPE'],
    ['item not a string', { type: 'sync/ping', id: 1, t0: 5, item: 3 }, 'ERR_INVALID'],
    ['empty frame', { type: 'sync/ping', id: 1, t0: 5, frame: '' }, 'ERR_INVALID'],
    ['item too long', { type: 'sync/ping', id: 1, t0: 5, item: 'x'.repeat(300) }, 'ERR_INVALID'],
  ])('rejects %s', (_name, raw, code) => {
    expect(parsePlaybackBody(raw)).toMatchObject({ ok: false, error: { code } })
  })
})

describe('parsePlaybackSnapshot', () => {
  const state = { type: 'sync/state', base: createLog().base, commands: [command('play', 1, 'a', 2)] }

  it('accepts a frame, an item and a state', () => {
    const parsed = parsePlaybackSnapshot({ frame: 'h', item: 'i', state })
    expect(parsed).toMatchObject({
      ok: true,
      value: { frame: 'h', item: 'i', state: { type: 'sync/state' } },
    })
  })

  it.each([
    ['null', null, 'ERR_NOT_OBJECT'],
    ['no frame', { item: 'i', state }, 'ERR_INVALID'],
    ['a ping as state', { frame: 'h', item: 'i', state: { type: 'sync/ping', id: 1, t0: 1 } }, 'ERR_INVALID'],
    [
      'a broken command',
      { frame: 'h', item: 'i', state: { ...state, commands: [{ kind: 'play' }] } },
      'ERR_INVALID',
    ],
    ['a frame that is no peer id', { frame: '..', item: 'i', state }, 'ERR_INVALID'],
  ])('rejects %s', (_name, raw, code) => {
    expect(parsePlaybackSnapshot(raw)).toMatchObject({ ok: false, error: { code } })
  })
})

describe('mergeLogs', () => {
  const a = [command('play', 10, 'a', 100), seek(5, 20, 'b', 200), command('pause', 30, 'a', 300)]

  it('gives the same timeline whichever side merges into which', () => {
    const left = log(a[0]!, a[2]!)
    const right = log(a[1]!)
    const one = mergeLogs(left, right.base, right.commands)
    const two = mergeLogs(right, left.base, left.commands)
    expect(one.timeline).toEqual(two.timeline)
    expect(one.timeline).toEqual(log(...a).timeline)
  })

  it('keeps the newer base', () => {
    const folded = { ...log(...a).timeline, previous: null }
    const merged = mergeLogs(log(a[0]!), folded, [])
    expect(merged.base.stamp).toEqual(a[2]!.stamp)
    expect(merged.timeline.playing).toBe(false)
    expect(positionAt(merged.timeline, 1_000)).toBeCloseTo(positionAt(log(...a).timeline, 1_000))
  })

  it('an empty log is empty, a log with a command is not', () => {
    expect(isEmptyLog(createLog())).toBe(true)
    expect(isEmptyLog(log(a[0]!))).toBe(false)
  })
})

describe('frames', () => {
  const estimates = new Map([
    ['h', estimate(1500)],
    ['k', estimate(-900)],
    ['new', estimate(7, 2)],
  ])

  it.each([
    ['ourselves', 'me', 0],
    ['a measured member', 'h', 1500],
    ['a member with too few samples', 'new', undefined],
    ['an unknown member', 'zz', undefined],
  ])('offset to %s', (_name, frame, want) => {
    expect(offsetTo('me', frame, estimates)).toBe(want)
  })

  it('moves times from one member clock to another', () => {
    expect(frameDelta('me', 'h', 'k', estimates)).toBe(-2400)
    expect(frameDelta('me', 'h', 'h', estimates)).toBe(0)
    expect(frameDelta('me', 'me', 'h', estimates)).toBe(1500)
    expect(frameDelta('me', 'new', 'h', estimates)).toBeUndefined()
  })

  it('rebasing a log keeps positions at corresponding instants', () => {
    const original = log(command('play', 10, 'a', 100), seek(5, 20, 'b', 200))
    const moved = rebaseLog(original, 1500)
    for (const t of [50, 150, 250, 5_000]) {
      expect(positionAt(moved.timeline, t + 1500)).toBeCloseTo(positionAt(original.timeline, t), 9)
    }
    expect(rebaseLog(original, 0)).toBe(original)
    expect(rebaseCommand(original.commands[0]!, -3).effectiveAt).toBe(97)
  })
})

describe('formatDrift', () => {
  it.each([
    [null, '—'],
    [Number.NaN, '—'],
    [12.4, '12 ms'],
    [-0.2, '0 ms'],
    [-7.6, '-8 ms'],
  ])('%s → %s', (value, text) => {
    expect(formatDrift(value)).toBe(text)
  })
})
