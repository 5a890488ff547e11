import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  contrast,
  MIN_CONTRAST,
  memberColor,
  memberColorStyle,
  memberHue,
  THEME_BACKGROUNDS,
} from '../../src/lib/room/member-color.ts'

/** Ids shaped like peer ids (base64url), enough of them to cover every hue. */
const ids = Array.from({ length: 2000 }, (_, i) => btoa(`peer-${i}-${i * 7919}`).replace(/=+$/, ''))

describe('member colours', () => {
  it('are deterministic: the same id, the same colours', () => {
    expect(memberColor('aGVsbG8td29ybGQ')).toEqual(memberColor('aGVsbG8td29ybGQ'))
    expect(memberColorStyle('x')).toBe(memberColorStyle('x'))
    expect(memberColorStyle('x')).toMatch(/^--member-dark: #[0-9a-f]{6}; --member-light: #[0-9a-f]{6}$/)
  })

  it('give ids that differ by one character hues far apart', () => {
    const distance = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b))
    let close = 0
    for (let i = 0; i < 200; i++) {
      if (distance(memberHue(`peer-${i}a`), memberHue(`peer-${i}b`)) < 15) close++
    }
    // Uniform hues would put about 8 % of pairs within 15°.
    expect(close).toBeLessThan(30)
  })

  it('spread over the whole colour wheel', () => {
    const sectors = new Array<number>(12).fill(0)
    for (const id of ids) {
      const hue = memberHue(id)
      expect(hue).toBeGreaterThanOrEqual(0)
      expect(hue).toBeLessThan(360)
      sectors[Math.floor(hue / 30)]!++
    }
    const mean = ids.length / 12
    for (const count of sectors) {
      expect(count).toBeGreaterThan(mean * 0.6)
      expect(count).toBeLessThan(mean * 1.4)
    }
  })

  it('are readable (AA) on both backgrounds of both themes, for every hue', () => {
    for (const id of ids) {
      const color = memberColor(id)
      for (const bg of THEME_BACKGROUNDS.dark)
        expect(contrast(color.dark, bg)).toBeGreaterThanOrEqual(MIN_CONTRAST)
      for (const bg of THEME_BACKGROUNDS.light)
        expect(contrast(color.light, bg)).toBeGreaterThanOrEqual(MIN_CONTRAST)
    }
  })

  it('stay colours, not grey: different hues give different colours', () => {
    const shown = new Set(ids.slice(0, 50).map((id) => memberColor(id).dark))
    expect(shown.size).toBeGreaterThan(40)
  })

  it('computes WCAG contrast', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2)
  })

  it('uses the backgrounds app.css defines', () => {
    const css = readFileSync(fileURLToPath(new URL('../../src/app.css', import.meta.url)), 'utf8')
    const [dark, light] = css.split('@media (prefers-color-scheme: light)')
    const token = (block: string, name: string) => new RegExp(`${name}:\\s*(#[0-9a-f]{6})`).exec(block)?.[1]
    expect([token(dark!, '--color-bg'), token(dark!, '--color-surface')]).toEqual(THEME_BACKGROUNDS.dark)
    expect([token(light!, '--color-bg'), token(light!, '--color-surface')]).toEqual(THEME_BACKGROUNDS.light)
  })
})
