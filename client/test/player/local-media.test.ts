import { describe, expect, it } from 'vitest'
import { parseVolume, trackChoices } from '../../src/lib/player/local-media.svelte.ts'

describe('the remembered volume', () => {
  it.each([
    ['0.4', 0.4],
    ['0', 0],
    ['1', 1],
    [null, null],
    ['', null],
    ['loud', null],
    ['1.5', null],
    ['-0.1', null],
  ])('%j → %j', (raw, volume) => {
    expect(parseVolume(raw)).toBe(volume)
  })
})

describe('the subtitles menu', () => {
  const track = (kind: TextTrackKind, label: string, language = '', mode: TextTrackMode = 'disabled') => ({
    kind,
    label,
    language,
    mode,
  })

  it('offers subtitles and captions by their element index, names unnamed ones, and finds the one showing', () => {
    const tracks = [
      track('metadata', 'cues'),
      track('subtitles', 'English', 'en'),
      track('captions', '', 'fr', 'showing'),
      track('subtitles', ''),
      track('chapters', 'Chapters'),
    ]
    expect(trackChoices(tracks)).toEqual({
      choices: [
        { index: 1, label: 'English' },
        { index: 2, label: 'fr' },
        { index: 3, label: 'Track 3' },
      ],
      shown: 2,
    })
  })

  it('shows none when no track is showing, or a hidden one is the only one', () => {
    expect(trackChoices([track('subtitles', 'English', 'en', 'hidden')]).shown).toBeNull()
    expect(trackChoices([]).choices).toEqual([])
  })
})
