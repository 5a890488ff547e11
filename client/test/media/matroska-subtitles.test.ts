import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  assText,
  cueText,
  MatroskaError,
  MatroskaSubtitleReader,
  type MatroskaEvent,
} from '../../src/lib/media/matroska-subtitles.ts'
import { subtitleLanguage } from '../../src/lib/media/subtitles.ts'
import { expectWarning } from '../console.ts'

/** Made by e2e/scripts/make-subtitled-mkv.ts: VP9, Opus, then SRT (en), ASS (fr) and WebVTT (de) tracks. */
const FIXTURE = new Uint8Array(
  readFileSync(new URL('./fixtures/subtitled.mkv', import.meta.url)),
) as Uint8Array

/** Everything the reader gives for `bytes` pushed `size` bytes at a time; throws on a failed push. */
function readAll(bytes: Uint8Array, size: number): MatroskaEvent[] {
  const reader = new MatroskaSubtitleReader()
  const events: MatroskaEvent[] = []
  for (let at = 0; at < bytes.length; at += size) {
    const result = reader.push(bytes.subarray(at, at + size))
    if (!result.ok) throw result.error
    events.push(...result.events)
  }
  return events
}

// ── a small EBML writer, for what ffmpeg does not write (unknown sizes, SimpleBlocks, compression) ───────

function idBytes(id: number): number[] {
  const out: number[] = []
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  return out
}

function el(id: number, body: number[] | string, unknownSize = false): number[] {
  const bytes = typeof body === 'string' ? [...new TextEncoder().encode(body)] : body
  if (unknownSize) return [...idBytes(id), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...bytes]
  if (bytes.length > 0x3fff) throw new Error('test element too large')
  const size = bytes.length < 0x7f ? [0x80 | bytes.length] : [0x40 | (bytes.length >> 8), bytes.length & 0xff]
  return [...idBytes(id), ...size, ...bytes]
}

const uintEl = (id: number, value: number) => el(id, [value])
const block = (track: number, timecode: number, text: string, flags = 0x80) => [
  0x80 | track,
  (timecode >> 8) & 0xff,
  timecode & 0xff,
  flags,
  ...new TextEncoder().encode(text),
]

const HEADER = el(0x1a45dfa3, el(0x4282, 'matroska'))
const textTrack = (number: number, codec: string, extra: number[] = []) =>
  el(0xae, [...uintEl(0xd7, number), ...uintEl(0x83, 0x11), ...el(0x86, codec), ...extra])
const videoTrack = el(0xae, [...uintEl(0xd7, 1), ...uintEl(0x83, 1), ...el(0x86, 'V_VP9')])

describe('MatroskaSubtitleReader on a file ffmpeg made', () => {
  it('reads the track list and every cue, whatever the chunk size', () => {
    const whole = readAll(FIXTURE, FIXTURE.length)
    expect(whole[0]).toEqual({
      kind: 'tracks',
      tracks: [
        { number: 3, codec: 'srt', language: 'en', label: 'English (SRT)' },
        { number: 4, codec: 'ass', language: 'fr', label: 'Français (ASS)' },
        { number: 5, codec: 'webvtt', language: 'de', label: 'Deutsch (VTT)' },
      ],
    })
    const cues = whole.flatMap((e) => (e.kind === 'cue' ? [e.cue] : []))
    expect(cues).toHaveLength(6)
    for (const track of [3, 4, 5]) {
      const [first, second] = cues.filter((c) => c.track === track)
      // ffmpeg shifts the whole file by a few milliseconds of the sound's start.
      expect(first?.start).toBeCloseTo(0.5, 1)
      expect(first?.end).toBeCloseTo(1.5, 1)
      expect(first?.text).toBe('Hello from inside the file')
      expect(second?.start).toBeCloseTo(2, 1)
      expect(second?.end).toBeCloseTo(2.8, 1)
      expect(second?.text).toBe('Second line\nover two rows')
    }
    for (const size of [1, 7, 4096]) expect(readAll(FIXTURE, size)).toEqual(whole)
  })

  it('never throws on damaged bytes: a typed error, or what could be read', () => {
    for (let at = 0; at < FIXTURE.length; at += 97) {
      const damaged = FIXTURE.slice()
      damaged[at] = (damaged[at] as number) ^ 0xff
      damaged[at + 1] = 0
      const reader = new MatroskaSubtitleReader()
      for (let from = 0; from < damaged.length; from += 1000) {
        const result = reader.push(damaged.subarray(from, from + 1000))
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(MatroskaError)
          // It stays failed.
          expect(reader.push(new Uint8Array([1, 2, 3]))).toEqual(result)
          break
        }
      }
    }
  })

  it('refuses what is not Matroska', () => {
    const result = new MatroskaSubtitleReader().push(new TextEncoder().encode('....ftypisom'))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.message).toMatch(/EBML header/)
  })
})

describe('MatroskaSubtitleReader on made-up files', () => {
  it('reads SimpleBlocks in clusters of unknown size, and the TimecodeScale', () => {
    const file = [
      ...HEADER,
      ...el(
        0x18538067,
        [
          ...el(0x1549a966, el(0x2ad7b1, [0x0f, 0x42, 0x40])), // 1,000,000 ns: milliseconds
          ...el(0x1654ae6b, [...videoTrack, ...textTrack(2, 'S_TEXT/UTF8', el(0x536e, 'Commentary'))]),
          ...el(
            0x1f43b675,
            [
              ...el(0xe7, [0x03, 0xe8]), // 1000 ms
              ...el(0xa3, block(1, 0, 'video frame bytes')),
              ...el(0xa3, block(2, 250, '<font color="red">Red</font> & <i>slanted</i>')),
            ],
            true,
          ),
          ...el(0x1f43b675, [...el(0xe7, [0x07, 0xd0]), ...el(0xa3, block(2, -500, 'Later'))], true),
        ],
        true,
      ),
    ]
    const events = readAll(new Uint8Array(file), 3)
    expect(events).toEqual([
      { kind: 'tracks', tracks: [{ number: 2, codec: 'srt', language: undefined, label: 'Commentary' }] },
      { kind: 'cue', cue: { track: 2, start: 1.25, end: 5.25, text: 'Red &amp; <i>slanted</i>' } },
      { kind: 'cue', cue: { track: 2, start: 1.5, end: 5.5, text: 'Later' } },
    ])
  })

  it('puts back a stripped header; leaves a zlib-compressed track out, with a log line', () => {
    const stripped = el(0x6d80, el(0x6240, el(0x5034, [...uintEl(0x4254, 3), ...el(0x4255, 'Hel')])))
    const zlib = el(0x6d80, el(0x6240, el(0x5034, uintEl(0x4254, 0))))
    const file = [
      ...HEADER,
      ...el(0x18538067, [
        ...el(0x1654ae6b, [
          ...textTrack(1, 'S_TEXT/UTF8', stripped),
          ...textTrack(2, 'S_TEXT/UTF8', zlib),
          ...textTrack(3, 'S_HDMV/PGS'),
        ]),
        ...el(0x1f43b675, [
          ...el(0xe7, [0]),
          ...el(0xa0, [...el(0xa1, block(1, 100, 'lo')), ...el(0x9b, [0x01, 0xf4])]),
          ...el(0xa0, [...el(0xa1, block(2, 100, 'x\u0000\u0001')), ...el(0x9b, [0x10])]),
        ]),
      ]),
    ]
    const events = readAll(new Uint8Array(file), 5)
    expectWarning(/track 2 is compressed/)
    expect(events).toEqual([
      { kind: 'tracks', tracks: [{ number: 1, codec: 'srt', language: undefined, label: 'Track 1' }] },
      { kind: 'cue', cue: { track: 1, start: 0.1, end: 0.6, text: 'Hello' } },
    ])
  })

  it('a file without text tracks says so with an empty track list', () => {
    const file = [...HEADER, ...el(0x18538067, el(0x1654ae6b, videoTrack))]
    expect(readAll(new Uint8Array(file), 64)).toEqual([{ kind: 'tracks', tracks: [] }])
  })
})

describe('cue text', () => {
  it('ASS: the ninth field, override tags stripped, \\N as a line break, escaped', () => {
    expect(assText('3,0,Default,,0,0,0,,{\\pos(1,2)}Hi {\\i1}there{\\i0}\\Nyou <b> & co')).toBe(
      'Hi there\nyou &lt;b&gt; &amp; co',
    )
    // The text keeps its own commas.
    expect(assText('1,0,Default,,0,0,0,,One, two, three')).toBe('One, two, three')
    expect(assText('not enough fields')).toBe('')
  })

  it('SRT keeps <i> <b> <u>, drops <font> and {\\an8}; WebVTT passes through', () => {
    expect(cueText('srt', '{\\an8}<b>Top</b> a < b\r\n<font face="x">line</font>')).toBe(
      '<b>Top</b> a &lt; b\nline',
    )
    expect(cueText('webvtt', '<v Bo>Hi</v>\n')).toBe('<v Bo>Hi</v>')
  })

  it('languages: ISO 639-2 codes become BCP 47 tags; und and junk become nothing', () => {
    expect(subtitleLanguage('eng')).toBe('en')
    expect(subtitleLanguage('fre')).toBe('fr')
    expect(subtitleLanguage('pt-BR')).toBe('pt-BR')
    expect(subtitleLanguage('und')).toBeUndefined()
    expect(subtitleLanguage('<script>')).toBeUndefined()
  })
})
