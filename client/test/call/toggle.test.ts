import { describe, expect, it } from 'vitest'
import {
  deviceFailure,
  isOn,
  nextToggle,
  TOGGLE_OFF,
  toggleSentence,
  type DeviceFailure,
  type ToggleEvent,
  type ToggleState,
} from '../../src/lib/call/toggle.ts'

const press: ToggleEvent = { e: 'press' }
const granted: ToggleEvent = { e: 'granted' }
const denied: ToggleEvent = { e: 'failed', failure: 'denied' }
const ended: ToggleEvent = { e: 'ended' }

describe('nextToggle', () => {
  it.each<{ name: string; from: ToggleState; event: ToggleEvent; to: ToggleState }>([
    { name: 'off, pressed: asks the browser', from: TOGGLE_OFF, event: press, to: { s: 'asking' } },
    { name: 'asking, granted: on', from: { s: 'asking' }, event: granted, to: { s: 'on' } },
    {
      name: 'asking, refused: the error',
      from: { s: 'asking' },
      event: denied,
      to: { s: 'error', failure: 'denied' },
    },
    { name: 'asking, pressed again: still waits', from: { s: 'asking' }, event: press, to: { s: 'asking' } },
    { name: 'on, pressed: off', from: { s: 'on' }, event: press, to: TOGGLE_OFF },
    { name: 'on, the track ended: ended', from: { s: 'on' }, event: ended, to: { s: 'ended' } },
    {
      name: 'after an error, pressed: asks again',
      from: { s: 'error', failure: 'missing' },
      event: press,
      to: { s: 'asking' },
    },
    { name: 'after it ended, pressed: asks again', from: { s: 'ended' }, event: press, to: { s: 'asking' } },
    { name: 'a late grant after off is ignored', from: TOGGLE_OFF, event: granted, to: TOGGLE_OFF },
    { name: 'a late failure after off is ignored', from: TOGGLE_OFF, event: denied, to: TOGGLE_OFF },
    { name: 'an end while off is ignored', from: TOGGLE_OFF, event: ended, to: TOGGLE_OFF },
  ])('$name', ({ from, event, to }) => {
    expect(nextToggle(from, event)).toEqual(to)
  })

  it('only the on state captures', () => {
    expect(isOn({ s: 'on' })).toBe(true)
    for (const state of [TOGGLE_OFF, { s: 'asking' }, { s: 'ended' }] as ToggleState[])
      expect(isOn(state)).toBe(false)
  })
})

describe('deviceFailure', () => {
  it.each<[string, DeviceFailure]>([
    ['NotAllowedError', 'denied'],
    ['SecurityError', 'denied'],
    ['NotFoundError', 'missing'],
    ['OverconstrainedError', 'missing'],
    ['NotReadableError', 'busy'],
    ['AbortError', 'busy'],
    ['TypeError', 'unsupported'],
    ['SomethingElse', 'failed'],
  ])('%s is %s', (name, failure) => {
    expect(deviceFailure({ name })).toBe(failure)
  })

  it('anything that is not an error is a plain failure', () => {
    expect(deviceFailure('nope')).toBe('failed')
    expect(deviceFailure(null)).toBe('failed')
  })
})

describe('toggleSentence', () => {
  it('says nothing while all is well', () => {
    for (const state of [TOGGLE_OFF, { s: 'asking' }, { s: 'on' }] as ToggleState[])
      expect(toggleSentence('mic', state)).toBeNull()
  })

  it('names the device and what to do for every failure', () => {
    const failures: DeviceFailure[] = ['denied', 'missing', 'busy', 'insecure', 'unsupported', 'failed']
    for (const failure of failures) {
      expect(toggleSentence('camera', { s: 'error', failure })).toMatch(/camera/)
      expect(toggleSentence('mic', { s: 'error', failure })).toMatch(/microphone/)
    }
    expect(toggleSentence('camera', { s: 'error', failure: 'denied' })).toMatch(/allow it/)
    expect(toggleSentence('mic', { s: 'error', failure: 'missing' })).toBe(
      'No microphone found on this device.',
    )
    expect(toggleSentence('camera', { s: 'ended' })).toMatch(/camera stopped/)
  })

  it('sharing a screen: a cancelled picker says so, stopping it from the browser says nothing', () => {
    expect(toggleSentence('screen', { s: 'error', failure: 'denied' })).toMatch(
      /Screen sharing was cancelled/,
    )
    expect(toggleSentence('screen', { s: 'error', failure: 'failed' })).toMatch(/could not be shared/)
    expect(toggleSentence('screen', { s: 'ended' })).toBeNull()
  })
})
