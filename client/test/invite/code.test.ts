import { describe, expect, it } from 'vitest'
import {
  NAMEPLATE_MAX,
  WORDS,
  formatCode,
  nameplateDocument,
  parseCode,
  randomCode,
} from '../../src/lib/invite/code.ts'
import { PEER_ID_PATTERN } from '../../src/lib/wire/schemas.ts'

describe('join codes', () => {
  it('has 256 distinct lower-case words: one byte each', () => {
    expect(WORDS).toHaveLength(256)
    expect(new Set(WORDS).size).toBe(256)
    for (const word of WORDS) expect(word).toMatch(/^[a-z]{3,8}$/)
  })

  it.each([
    ['7-tiger-sofa', 7, ['tiger', 'sofa']],
    ['  7 Tiger SOFA ', 7, ['tiger', 'sofa']],
    ['999.apple.zebra', 999, ['apple', 'zebra']],
    ['12 – honey — kiwi', 12, ['honey', 'kiwi']],
  ])('reads %j generously', (text, nameplate, words) => {
    expect(parseCode(text)).toEqual({ ok: true, code: { nameplate, words } })
  })

  it.each([
    ['', { kind: 'empty' }],
    ['   ', { kind: 'empty' }],
    ['tiger-sofa', { kind: 'shape' }],
    ['7-tiger', { kind: 'shape' }],
    ['7-tiger-sofa-extra', { kind: 'shape' }],
    ['0-tiger-sofa', { kind: 'shape' }],
    [`${NAMEPLATE_MAX + 1}-tiger-sofa`, { kind: 'shape' }],
    ['x-tiger-sofa', { kind: 'shape' }],
    ['7-tigre-sofa', { kind: 'word', word: 'tigre' }],
  ])('refuses %j with a reason', (text, error) => {
    expect(parseCode(text)).toEqual({ ok: false, error })
  })

  it('formats what it parses', () => {
    for (let i = 0; i < 50; i++) {
      const code = randomCode((n) => crypto.getRandomValues(new Uint8Array(n)))
      expect(code.nameplate).toBeGreaterThanOrEqual(1)
      expect(code.nameplate).toBeLessThanOrEqual(NAMEPLATE_MAX)
      expect(parseCode(formatCode(code))).toEqual({ ok: true, code })
    }
  })

  it('names each nameplate by a stable hash the signal server accepts as an id', () => {
    expect(nameplateDocument(7)).toBe(nameplateDocument(7))
    expect(nameplateDocument(7)).not.toBe(nameplateDocument(8))
    expect(nameplateDocument(7)).toMatch(PEER_ID_PATTERN)
    expect(nameplateDocument(7)).toHaveLength(22)
  })
})
