/**
 * Subtitles for `<track>`: browsers only read WebVTT, torrents mostly carry SRT. SRT files in the wild are
 * messy (byte-order marks, CRLF, missing blank lines, dots instead of commas, Windows-1252 text), so the
 * converter reads line by line and skips what it can't understand instead of giving up on the file.
 */
import { extensionOf } from './formats.ts'
import type { FileLike } from './files.ts'

export type SubtitleFormat = 'srt' | 'vtt'

export interface SubtitleFile {
  index: number
  name: string
  path: string
  format: SubtitleFormat
  /** What to show in the subtitle menu: the language if the name gives one, else the file name. */
  label: string
  /** BCP 47 language tag guessed from the name ("Movie.en.srt" → "en"), for `<track srclang>`. */
  language: string | undefined
}

/** Subtitle bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252. */
export function decodeSubtitleBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Old SRT files are mostly Windows-1252; decoding as that never fails.
    return new TextDecoder('windows-1252').decode(bytes)
  }
}

/** Any subtitle text to WebVTT: WebVTT passes through (line endings normalized), everything else is SRT. */
export function toWebVtt(source: string): string {
  const text = normalize(source)
  if (/^WEBVTT(?:[ \t\n]|$)/.test(text)) return text.endsWith('\n') ? text : `${text}\n`
  return srtToVtt(text)
}

// Hours optional; "," or "." before 1–3 digits of milliseconds; anything after the end time (SRT position
// coordinates "X1:… Y1:…") is dropped.
const TIMING =
  /^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*-+>\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})/

export function srtToVtt(source: string): string {
  const lines = normalize(source).split('\n')
  const cues: string[] = []
  let current: { timing: string; text: string[] } | null = null
  const flush = () => {
    if (current && current.text.length > 0) cues.push(`${current.timing}\n${current.text.join('\n')}`)
    current = null
  }
  for (const line of lines) {
    const timing = TIMING.exec(line)
    if (timing) {
      // A cue number written without the blank line before it ended up as text; take it back.
      if (current && /^\d+$/.test(current.text.at(-1)?.trim() ?? '')) current.text.pop()
      flush()
      const start = stamp(timing.slice(1, 5))
      const end = stamp(timing.slice(5, 9))
      current = end > start ? { timing: `${format(start)} --> ${format(end)}`, text: [] } : null
    } else if (line.trim() === '') {
      flush()
    } else if (current) {
      current.text.push(cleanText(line))
    }
    // Text outside a cue (cue numbers, junk) is dropped.
  }
  flush()
  return `WEBVTT\n\n${cues.map((c) => `${c}\n\n`).join('')}`
}

/** Subtitle files of a torrent, those whose name starts like the video's first. */
export function findSubtitles(files: readonly FileLike[], videoName?: string): SubtitleFile[] {
  const stem = videoName ? stemOf(videoName).toLowerCase() : ''
  const found: SubtitleFile[] = []
  files.forEach((file, index) => {
    const ext = extensionOf(file.name)
    if (ext !== 'srt' && ext !== 'vtt') return
    const { label, language } = subtitleLabel(file.name)
    found.push({ index, name: file.name, path: file.path, format: ext, label, language })
  })
  const matches = (s: SubtitleFile) => stem !== '' && s.name.toLowerCase().startsWith(stem)
  return found.sort((a, b) => Number(matches(b)) - Number(matches(a)) || a.path.localeCompare(b.path))
}

/** What a subtitle file's name says: the menu label (the language if the name gives one) and its tag. */
export function subtitleLabel(name: string): { label: string; language: string | undefined } {
  const language = languageOf(name)
  return { label: language ? languageName(language) : stemOf(name), language }
}

/** Whether a file's name is a subtitle format this app reads. */
export function isSubtitleName(name: string): boolean {
  const ext = extensionOf(name)
  return ext === 'srt' || ext === 'vtt'
}

function normalize(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

/** SRT allows `<font>` and ASS-style `{\an8}` overrides; WebVTT has neither, and "-->" would end the cue. */
function cleanText(line: string): string {
  return line
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/<\/?font[^>]*>/gi, '')
    .replace(/-->/g, '→')
}

function stamp([h, m, s, ms]: (string | undefined)[]): number {
  const millis = Number((ms ?? '0').padEnd(3, '0'))
  return ((Number(h ?? 0) * 60 + Number(m)) * 60 + Number(s)) * 1000 + millis
}

function format(ms: number): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`
}

function stemOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? name : name.slice(0, dot)
}

const LANGUAGE_WORDS: Record<string, string> = {
  english: 'en',
  eng: 'en',
  french: 'fr',
  fre: 'fr',
  fra: 'fr',
  german: 'de',
  ger: 'de',
  deu: 'de',
  spanish: 'es',
  spa: 'es',
  italian: 'it',
  ita: 'it',
  portuguese: 'pt',
  por: 'pt',
  dutch: 'nl',
  nld: 'nl',
  russian: 'ru',
  rus: 'ru',
  japanese: 'ja',
  jpn: 'ja',
  chinese: 'zh',
  chi: 'zh',
  zho: 'zh',
}

/**
 * A language code as a container gives it (ISO 639-2 "eng", "fre", or a BCP 47 tag "pt-BR") as a BCP 47 tag
 * for `<track srclang>`; undefined for "und" and for what is not a language code.
 */
export function subtitleLanguage(code: string): string | undefined {
  const trimmed = code.trim()
  if (!/^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i.test(trimmed)) return undefined
  const [primary = '', ...rest] = trimmed.split('-')
  const lower = primary.toLowerCase()
  if (lower === 'und' || lower === 'mis' || lower === 'zxx' || lower === 'mul') return undefined
  return [LANGUAGE_WORDS[lower] ?? lower, ...rest].join('-')
}

/** "Movie.en.srt", "Movie.pt-BR.srt", "English.srt", "Subs/2_eng.srt" → a language tag, if any. */
function languageOf(name: string): string | undefined {
  const region = /[._]([a-z]{2})-([A-Za-z]{2})$/.exec(stemOf(name))
  if (region) return `${region[1]}-${region[2]?.toUpperCase()}`
  const words = stemOf(name).split(/[\s._-]+/)
  for (let i = words.length - 1; i >= 0; i--) {
    const word = (words[i] ?? '').toLowerCase()
    const fromWord = LANGUAGE_WORDS[word]
    if (fromWord) return fromWord
    // Two-letter codes only right before the extension, where they are conventional ("x.en.srt").
    if (i === words.length - 1 && /^[a-z]{2}$/.test(word) && words.length > 1) return word
  }
  return undefined
}

function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(tag) ?? tag
  } catch {
    return tag
  }
}
