import { describe, expect, it } from 'vitest'
import { MEDIA_ERR } from '../../src/lib/media/formats.ts'
import {
  afterVideoError,
  afterVideoMetadata,
  nameUnplayable,
  type NowPlaying,
} from '../../src/lib/media/now-playing.ts'

const streaming: NowPlaying = {
  itemId: 'a:1',
  infoHash: 'c'.repeat(40),
  title: 'clip',
  state: 'streaming',
  fileIndex: 0,
  fileName: 'clip.webm',
  choices: [
    { index: 0, name: 'clip.webm', path: 'clip/clip.webm', length: 1000, kind: 'video', verdict: 'yes' },
  ],
  subtitles: [],
  error: null,
  warning: null,
}

describe('what the player shows after its <video> reports', () => {
  it('a failure of the current file, in plain words', () => {
    expect(afterVideoError(streaming, MEDIA_ERR.DECODE, true)).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/“clip\.webm”.*couldn’t be decoded/),
    })
  })

  it('nothing for an emptied source or one we replaced, or before a file is chosen', () => {
    expect(afterVideoError(streaming, MEDIA_ERR.DECODE, false)).toBe(streaming)
    expect(afterVideoError(streaming, MEDIA_ERR.ABORTED, true)).toBe(streaming)
    expect(afterVideoError(streaming, undefined, true)).toBe(streaming)
    const loading = { ...streaming, state: 'loading' as const, fileName: null }
    expect(afterVideoError(loading, MEDIA_ERR.DECODE, true)).toBe(loading)
    expect(afterVideoError(null, MEDIA_ERR.DECODE, true)).toBeNull()
  })

  it('metadata after a failure clears it: the element loaded the file after all (MSE refused, the worker took over)', () => {
    const failed = afterVideoError(streaming, MEDIA_ERR.DECODE, true)
    expect(afterVideoMetadata(failed, 640)).toEqual(streaming)
  })

  it('a video without a picture width plays sound only: a warning, not an error', () => {
    expect(afterVideoMetadata(streaming, 0)).toMatchObject({
      state: 'streaming',
      warning: expect.stringMatching(/sound but no picture/),
    })
    const audio = { ...streaming, choices: [{ ...streaming.choices[0]!, kind: 'audio' as const }] }
    expect(afterVideoMetadata(audio, 0)).toBe(audio)
    expect(afterVideoMetadata(streaming, 640)).toBe(streaming)
  })
})

describe('the failure told in the words of the codec', () => {
  const sentence = 'This video uses HEVC (hvc1), which this browser cannot play.'

  it("replaces the element's error, or the no-picture warning, of the same file", () => {
    const failed = afterVideoError(streaming, MEDIA_ERR.SRC_NOT_SUPPORTED, true)
    expect(nameUnplayable(failed, streaming, 'error', sentence)).toMatchObject({
      state: 'error',
      error: sentence,
    })
    const silent = afterVideoMetadata(streaming, 0)
    expect(nameUnplayable(silent, streaming, 'no-picture', sentence)).toMatchObject({
      state: 'streaming',
      warning: `${sentence} Only its sound plays.`,
    })
  })

  it('leaves another item or file, and a failure since recovered, as they are', () => {
    const failed = afterVideoError(streaming, MEDIA_ERR.SRC_NOT_SUPPORTED, true)
    const other = failed && { ...failed, fileIndex: 1 }
    expect(nameUnplayable(other, streaming, 'error', sentence)).toBe(other)
    expect(nameUnplayable(streaming, streaming, 'error', sentence)).toBe(streaming)
    expect(nameUnplayable(null, streaming, 'error', sentence)).toBeNull()
  })
})
