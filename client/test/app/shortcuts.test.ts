import { describe, expect, it } from 'vitest'
import { isTyping, shortcutFor, type KeyPress } from '../../src/lib/app/shortcuts.ts'

const on = (tagName: string, type?: string) => ({
  tagName,
  isContentEditable: false,
  ...(type ? { type } : {}),
})
const press = (
  key: string,
  target: KeyPress['target'] = on('BODY'),
  mods: Partial<KeyPress> = {},
): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  target,
  ...mods,
})

describe('keyboard shortcuts', () => {
  it.each([
    [' ', { kind: 'toggle' }],
    ['k', { kind: 'toggle' }],
    ['K', { kind: 'toggle' }],
    ['ArrowLeft', { kind: 'seek-by', seconds: -5 }],
    ['ArrowRight', { kind: 'seek-by', seconds: 5 }],
    ['j', { kind: 'seek-by', seconds: -10 }],
    ['l', { kind: 'seek-by', seconds: 10 }],
    ['f', { kind: 'fullscreen' }],
    ['m', { kind: 'mute' }],
    ['c', { kind: 'focus-chat' }],
    ['Escape', { kind: 'leave-field' }],
    ['?', { kind: 'help' }],
    ['x', null],
  ])('%j → %j', (key, action) => {
    expect(shortcutFor(press(key))).toEqual(action)
  })

  it('never while typing in a field, except Esc which leaves it', () => {
    for (const field of [
      on('INPUT'),
      on('INPUT', 'search'),
      on('TEXTAREA'),
      on('SELECT'),
      { tagName: 'DIV', isContentEditable: true },
    ]) {
      expect(shortcutFor(press('k', field))).toBeNull()
      expect(shortcutFor(press(' ', field))).toBeNull()
      expect(shortcutFor(press('Escape', field))).toEqual({ kind: 'leave-field' })
    }
  })

  it('keys on a button, a checkbox or the seek bar are still shortcuts', () => {
    expect(shortcutFor(press(' ', on('BUTTON')))).toEqual({ kind: 'toggle' })
    expect(shortcutFor(press('k', on('INPUT', 'checkbox')))).toEqual({ kind: 'toggle' })
    expect(isTyping(on('INPUT', 'range'))).toBe(false)
  })

  it('leaves browser and system shortcuts alone', () => {
    expect(shortcutFor(press('f', on('BODY'), { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(press('l', on('BODY'), { metaKey: true }))).toBeNull()
    expect(shortcutFor(press('k', on('BODY'), { altKey: true }))).toBeNull()
  })
})
