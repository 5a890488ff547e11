import { describe, expect, it } from 'vitest'
import { MEDIA_ERR } from '../../src/lib/media/formats.ts'
import { afterVideoError, afterVideoMetadata, type NowPlaying } from '../../src/lib/media/now-playing.ts'

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
