import { describe, expect, it } from 'vitest'
import { decodeSubtitleBytes, findSubtitles, srtToVtt, toWebVtt } from '../../src/lib/media/subtitles.ts'

describe('srtToVtt', () => {
  it('converts a clean SRT file', () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo\nlines\n'
    expect(srtToVtt(srt)).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\n\n00:00:03.000 --> 00:00:04.000\nTwo\nlines\n\n',
    )
  })

  it('strips the BOM and handles CRLF and lone CR', () => {
    const srt = '\uFEFF1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n\r\n2\r00:00:03,000 --> 00:00:04,000\rB\r'
    expect(srtToVtt(srt)).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:03.000 --> 00:00:04.000\nB\n\n',
    )
  })

  it('tolerates short hours and milliseconds, dots, extra spaces, arrows and coordinates', () => {
    const srt = '1\n0:0:1.5 --> 0:00:02,25  X1:100 X2:200 Y1:1 Y2:2\nA\n\n2\n00:01:00,000->00:01:01,000\nB\n'
    expect(srtToVtt(srt)).toBe(
      'WEBVTT\n\n00:00:01.500 --> 00:00:02.250\nA\n\n00:01:00.000 --> 00:01:01.000\nB\n\n',
    )
  })

  it('recovers cues with no blank line between them and skips broken ones', () => {
    const srt = [
      '1',
      '00:00:01,000 --> 00:00:02,000',
      'First',
      '2',
      '00:00:03,000 --> 00:00:04,000',
      'Second',
      '',
      '3',
      '00:00:05,000 --> garbage',
      'Orphan text',
      '',
      '4',
      '00:00:09,000 --> 00:00:08,000',
      'Ends before it starts',
      '',
      '5',
      '00:00:10,000 --> 00:00:11,000',
      '',
      '6',
      '01:02:03,004 --> 01:02:04,000',
      'Last',
    ].join('\n')
    expect(srtToVtt(srt)).toBe(
      'WEBVTT\n\n' +
        '00:00:01.000 --> 00:00:02.000\nFirst\n\n' +
        '00:00:03.000 --> 00:00:04.000\nSecond\n\n' +
        '01:02:03.004 --> 01:02:04.000\nLast\n\n',
    )
  })

  it('removes markup WebVTT lacks and keeps "-->" out of cue text', () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color="#fff"><i>Hi</i></font> --> there\n'
    expect(srtToVtt(srt)).toContain('\n<i>Hi</i> → there\n')
  })

  it('gives an empty but valid file for junk', () => {
    expect(srtToVtt('')).toBe('WEBVTT\n\n')
    expect(srtToVtt('not subtitles at all')).toBe('WEBVTT\n\n')
  })
})

describe('toWebVtt', () => {
  it('passes WebVTT through, normalizing line endings', () => {
    const vtt = '\uFEFFWEBVTT - title\r\n\r\n00:01.000 --> 00:02.000\r\nHi'
    expect(toWebVtt(vtt)).toBe('WEBVTT - title\n\n00:01.000 --> 00:02.000\nHi\n')
  })

  it('converts anything else as SRT', () => {
    expect(toWebVtt('1\n00:00:01,000 --> 00:00:02,000\nA')).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n',
    )
    expect(toWebVtt('WEBVTTX\n')).toBe('WEBVTT\n\n')
  })
})

describe('decodeSubtitleBytes', () => {
  it('reads UTF-8, UTF-16 with BOM, and falls back to Windows-1252', () => {
    expect(decodeSubtitleBytes(new TextEncoder().encode('Déjà vu'))).toBe('Déjà vu')
    expect(decodeSubtitleBytes(new Uint8Array([0xff, 0xfe, 0x48, 0x00, 0xe9, 0x00]))).toBe('Hé')
    expect(decodeSubtitleBytes(new Uint8Array([0x44, 0xe9, 0x6a, 0xe0]))).toBe('Déjà')
  })
})

describe('findSubtitles', () => {
  const file = (path: string) => ({ path, name: path.split('/').pop() ?? path, length: 1 })

  it('finds .srt and .vtt files, matching the video first, with languages from names', () => {
    const files = [
      file('Show/Subs/French.srt'),
      file('Show/Show.mkv'),
      file('Show/Other.en.vtt'),
      file('Show/Show.pt-BR.srt'),
      file('Show/notes.txt'),
    ]
    const subs = findSubtitles(files, 'Show.mkv')
    expect(subs.map((s) => [s.index, s.format, s.language, s.label])).toEqual([
      [3, 'srt', 'pt-BR', 'Brazilian Portuguese'],
      [2, 'vtt', 'en', 'English'],
      [0, 'srt', 'fr', 'French'],
    ])
  })

  it('labels a subtitle without a language by its name', () => {
    expect(findSubtitles([file('a/Commentary.srt')])).toMatchObject([
      { label: 'Commentary', language: undefined },
    ])
  })
})
