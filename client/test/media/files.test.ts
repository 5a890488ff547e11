import { describe, expect, it } from 'vitest'
import { chooseFile, isPlayableName, type FileLike } from '../../src/lib/media/files.ts'
import {
  explainPlaybackError,
  MEDIA_ERR,
  playability,
  type CanPlayType,
} from '../../src/lib/media/formats.ts'

const f = (path: string, length: number): FileLike => ({ path, name: path.split('/').pop() ?? path, length })

/** What Chromium answers (see media/formats.ts); unknown types are "". */
const chromium: CanPlayType = (type) => {
  const known: Record<string, CanPlayTypeResult> = {
    'video/webm': 'maybe',
    'video/webm; codecs="vp9, opus"': 'probably',
    'video/mp4': 'maybe',
    'video/mp4; codecs="avc1.640028, mp4a.40.2"': 'probably',
    'video/x-matroska': 'maybe',
    'video/x-matroska; codecs="avc1.640028"': 'probably',
    'video/ogg': 'maybe',
    'audio/mpeg': 'probably',
  }
  return known[type] ?? ''
}

describe('chooseFile', () => {
  it('picks the largest playable video and lists the rest as alternatives', () => {
    const files = [
      f('Show/extras.mp4', 50e6),
      f('Show/cover.jpg', 1e5),
      f('Show/Show.mkv', 700e6),
      f('Show/a.srt', 1e3),
    ]
    const { chosen, choices } = chooseFile(files, chromium)
    expect(chosen?.index).toBe(2)
    expect(choices.map((c) => c.index)).toEqual([2, 0])
  })

  it('never prefers a larger file the browser cannot play', () => {
    const { chosen, choices } = chooseFile([f('big.avi', 9e9), f('small.webm', 1e6)])
    expect(chosen?.name).toBe('small.webm')
    expect(choices.at(-1)).toMatchObject({ name: 'big.avi', verdict: 'no' })
  })

  it('puts sample clips and padding files after the feature, but plays a sample if that is all there is', () => {
    expect(chooseFile([f('x/Sample/sample.mkv', 9e8), f('x/Movie.mkv', 5e8)]).chosen?.name).toBe('Movie.mkv')
    expect(chooseFile([f('x/.pad/0', 9e8), f('x/Movie.mp4', 5e8)]).chosen?.name).toBe('Movie.mp4')
    expect(chooseFile([f('clip-sample.mp4', 9e6)]).chosen?.name).toBe('clip-sample.mp4')
  })

  it('prefers video over audio, and plays audio when there is no video', () => {
    expect(chooseFile([f('a.flac', 9e8), f('v.webm', 1e6)]).chosen?.name).toBe('v.webm')
    expect(chooseFile([f('a.mp3', 9e6), f('b.txt', 1)]).chosen).toMatchObject({
      name: 'a.mp3',
      kind: 'audio',
    })
  })

  it('chooses nothing when nothing can play, keeping the reason', () => {
    const { chosen, choices } = chooseFile([f('a.wmv', 1), f('b.nfo', 1)])
    expect(chosen).toBeNull()
    expect(choices[0]?.reason).toContain('can’t play Windows Media')
  })

  it('is stable for equal sizes (lower index first)', () => {
    expect(chooseFile([f('b.webm', 10), f('a.webm', 10)]).chosen?.index).toBe(0)
  })
})

describe('playability', () => {
  it('answers from the measured table without a probe', () => {
    expect(playability('a.WEBM').verdict).toBe('yes')
    expect(playability('a.mp4').verdict).toBe('yes')
    expect(playability('a.mkv').verdict).toBe('maybe')
    expect(playability('a.avi')).toMatchObject({ verdict: 'no', reason: expect.stringContaining('AVI') })
    expect(playability('readme').verdict).toBe('no')
  })

  it('asks the browser when it can', () => {
    expect(playability('a.mkv', chromium).verdict).toBe('yes')
    expect(playability('a.ogv', chromium).verdict).toBe('maybe')
    expect(playability('a.webm', () => '').verdict).toBe('no')
    expect(playability('a.mov', chromium).verdict).toBe('no')
  })

  it('accepts dropped names that might play', () => {
    expect(isPlayableName('clip.webm')).toBe(true)
    expect(isPlayableName('clip.mkv')).toBe(true)
    expect(isPlayableName('clip.ts')).toBe(false)
  })
})

describe('explainPlaybackError', () => {
  it('says plainly what went wrong', () => {
    expect(explainPlaybackError('x.mkv', MEDIA_ERR.SRC_NOT_SUPPORTED)).toBe(
      'This browser can’t play “x.mkv”: the Matroska (MKV) file uses a format it doesn’t support.',
    )
    expect(explainPlaybackError('x.mp4', 'no-picture')).toContain('HEVC')
  })
})
