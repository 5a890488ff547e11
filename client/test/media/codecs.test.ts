import { describe, expect, it } from 'vitest'
import { codecName, unplayableCodecs, unplayableSentence } from '../../src/lib/media/codecs.ts'

describe('codecs named for people', () => {
  it('names a codec string and keeps its four letters', () => {
    expect(codecName('hvc1.1.6.L93.B0')).toBe('HEVC (hvc1)')
    expect(codecName('hev1.2.4.L120.B0')).toBe('HEVC (hev1)')
    expect(codecName('avc1.64001e')).toBe('H.264 (avc1)')
    expect(codecName('mp4a.40.2')).toBe('AAC (mp4a)')
    expect(codecName('mp4a.6B')).toBe('MP3 (mp4a)')
    expect(codecName('ac-3')).toBe('Dolby Digital (AC-3) (ac-3)')
    expect(codecName('xyz9.1')).toBe('the “xyz9” codec')
  })

  it('says which codec of the picture or the sound this browser cannot play', () => {
    expect(unplayableSentence({ video: ['hvc1.1.6.L93.B0'], audio: [] })).toBe(
      'This video uses HEVC (hvc1), which this browser cannot play.',
    )
    expect(unplayableSentence({ video: [], audio: ['ec-3'] })).toBe(
      'This video’s sound uses Dolby Digital Plus (E-AC-3) (ec-3), which this browser cannot play.',
    )
    expect(unplayableSentence({ video: ['hvc1.1.6.L93.B0'], audio: ['ac-3'] })).toBe(
      'This video uses HEVC (hvc1) with Dolby Digital (AC-3) (ac-3) sound, which this browser cannot play.',
    )
    expect(unplayableSentence({ video: [], audio: [] })).toBe('This browser cannot play this video’s format.')
  })
})

describe('codecs no path plays', () => {
  const hevc = { kind: 'video' as const, codec: 'hvc1.1.6.L93.B0' }
  const aac = { kind: 'audio' as const, codec: 'mp4a.40.2' }

  it('names those and only those; none left, no sentence', () => {
    const asked: string[] = []
    const plays = (type: string) => (asked.push(type), !type.includes('hvc1'))
    expect(unplayableCodecs([hevc, aac], plays)).toBe(
      'This video uses HEVC (hvc1), which this browser cannot play.',
    )
    expect(asked).toEqual(['video/mp4; codecs="hvc1.1.6.L93.B0"', 'audio/mp4; codecs="mp4a.40.2"'])
    expect(unplayableCodecs([aac], plays)).toBeNull()
    expect(unplayableCodecs([hevc, aac], () => false)).toBe(
      'This video uses HEVC (hvc1) with AAC (mp4a) sound, which this browser cannot play.',
    )
  })
})
