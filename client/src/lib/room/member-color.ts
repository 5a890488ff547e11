/**
 * Each member's colour, derived from their peer id alone: every member sees the same colour for the same
 * person (in the member list and on their chat lines) without anyone sending it. One hue per member, and for
 * each theme the lightness that keeps the name readable (WCAG AA, 4.5:1) on that theme's backgrounds.
 * Pure: no DOM; the component sets the two colours as custom properties (`.member-color` in app.css).
 */

export interface MemberColor {
  /** 0 ≤ hue < 360, the member's identity as a colour */
  hue: number
  /** `#rrggbb` for the dark theme */
  dark: string
  /** `#rrggbb` for the light theme */
  light: string
}

/** The backgrounds names appear on, per theme: app.css's --color-bg and --color-surface (a test keeps them equal). */
export const THEME_BACKGROUNDS = {
  dark: ['#15121f', '#1e1a2b'],
  light: ['#f6f4fb', '#ffffff'],
} as const

/** The contrast a name keeps against its background; above AA's 4.5 so rounding to hex never drops below. */
export const MIN_CONTRAST = 4.6

/** FNV-1a, 32 bits: a fast, well-spread hash of the id's UTF-16 code units. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The hue of a peer id, in tenths of a degree so that close ids still land apart. */
export function memberHue(peerId: string): number {
  return (hash(peerId) % 3600) / 10
}

type Rgb = readonly [number, number, number]

function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const s = saturation / 100
  const l = lightness / 100
  const a = s * Math.min(l, 1 - l)
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
  }
  return [channel(0), channel(8), channel(4)]
}

function hexToRgb(hex: string): Rgb {
  const value = Number.parseInt(hex.slice(1), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`
}

/** WCAG relative luminance of an sRGB colour. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const v = c / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG contrast ratio of two `#rrggbb` colours, 1 … 21. */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(hexToRgb(a)), luminance(hexToRgb(b))]
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)
}

/**
 * The colour of `hue` for a theme: starts from a lightness that suits the theme (light names on dark, dark
 * on light) and moves away from the background until every background of the theme gives MIN_CONTRAST.
 */
function readable(hue: number, theme: keyof typeof THEME_BACKGROUNDS): string {
  const dark = theme === 'dark'
  const saturation = dark ? 80 : 75
  const step = dark ? 1 : -1
  for (let lightness = dark ? 68 : 42; lightness >= 0 && lightness <= 100; lightness += step) {
    const color = toHex(hslToRgb(hue, saturation, lightness))
    if (THEME_BACKGROUNDS[theme].every((bg) => contrast(color, bg) >= MIN_CONTRAST)) return color
  }
  return dark ? '#ffffff' : '#000000'
}

/** The member's colour on both themes. Deterministic: the same id gives the same colours everywhere. */
export function memberColor(peerId: string): MemberColor {
  const hue = memberHue(peerId)
  return { hue, dark: readable(hue, 'dark'), light: readable(hue, 'light') }
}

/** The inline style that gives an element with class `member-color` this member's colour. */
export function memberColorStyle(peerId: string): string {
  const { dark, light } = memberColor(peerId)
  return `--member-dark: ${dark}; --member-light: ${light}`
}
