import { existsSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import type { Locator } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { gather, person, type Person } from '../lib/room.ts'
import { CACHE_DIR, ensureTestVideo } from '../scripts/make-test-video.ts'
import { makeSubtitledMkv, makeSubtitledWebm, type TestCue } from '../scripts/make-subtitled-mkv.ts'

// Two browsers, a torrent link, and a 20 s film that must start playing.
test.setTimeout(120_000)

/** A short cue at the start, and one that stays on screen for most of the film, for the player to show. */
const CUES: TestCue[] = [
  { start: 0.5, end: 1.5, text: 'Hello from inside the file' },
  { start: 2, end: 19, text: 'A line that stays' },
]

/** The test video with SRT, ASS and WebVTT tracks inside, as Matroska (made once, cached). */
async function subtitledFilm(): Promise<string> {
  const path = joinPath(CACHE_DIR, 'subtitled-v1.mkv')
  if (!existsSync(path)) await makeSubtitledMkv(await ensureTestVideo(), path, CUES)
  return path
}

/** The test video with a WebVTT track inside, as WebM (made once, cached). */
async function subtitledWebm(): Promise<string> {
  const path = joinPath(CACHE_DIR, 'subtitled-v1.webm')
  if (!existsSync(path)) await makeSubtitledWebm(await ensureTestVideo(), path, CUES)
  return path
}

/** What a `<track>` shows now (its track made visible first), and where the player is. */
function showing(track: Locator): Promise<{ time: number; active: string[]; all: [number, string][] }> {
  return track.evaluate((element: HTMLTrackElement) => {
    element.track.mode = 'showing'
    const video = element.parentElement as HTMLVideoElement
    const texts = (cues: TextTrackCueList | null) => Array.from(cues ?? [], (c) => c as VTTCue)
    return {
      time: video.currentTime,
      active: texts(element.track.activeCues).map((c) => c.text),
      all: texts(element.track.cues).map((c): [number, string] => [c.startTime, c.text]),
    }
  })
}

test.describe('subtitles', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('an MKV with subtitle tracks: every member is offered them and sees a cue at its time', async ({
    app,
    chromiumBrowser,
  }) => {
    const film = await subtitledFilm()
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(film)

    for (const someone of people) {
      const tracks = someone.page.getByTestId('player').getByTestId('embedded-subtitles')
      await expect(tracks).toHaveCount(3, { timeout: 30_000 })
      await expect(tracks.nth(0)).toHaveAttribute('label', 'English (SRT)')
      await expect(tracks.nth(0)).toHaveAttribute('srclang', 'en')
      await expect(tracks.nth(1)).toHaveAttribute('label', 'Français (ASS)')
      await expect(tracks.nth(2)).toHaveAttribute('srclang', 'de')
    }

    // Bo streams the film from Ana through the service worker (Matroska is not fed through MSE), and the
    // English track, shown, has the long cue on screen while the player is inside its time.
    const english = bo.page.getByTestId('player').getByTestId('embedded-subtitles').first()
    await expect
      .poll(
        async () => {
          const now = await showing(english)
          return now.active.includes('A line that stays') && now.time >= 2 && now.time < 19
        },
        { timeout: 30_000 },
      )
      .toBe(true)
    const { all } = await showing(english)
    const first = all.find(([, text]) => text === 'Hello from inside the file')
    expect(first?.[0]).toBeCloseTo(0.5, 1)
    expect(await bo.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream)).toBe(
      'worker',
    )

    // The subtitles menu over the video offers them (and Off); a choice shows that track only, for Ana only.
    const menu = ana.page.getByTestId('subtitles-menu')
    await expect(menu.locator('option')).toHaveCount(4)
    await expect(menu.locator('option').first()).toHaveText('Subtitles off')
    await menu.selectOption({ label: 'Français (ASS)' })
    const modes = (page: typeof ana.page) =>
      page
        .getByTestId('player')
        .evaluate((v: HTMLVideoElement) => Array.from(v.textTracks, (track) => track.mode))
    expect(await modes(ana.page)).toEqual(['disabled', 'showing', 'disabled'])
    expect((await modes(bo.page))[1]).not.toBe('showing')
    await menu.selectOption('off')
    expect(await modes(ana.page)).toEqual(['disabled', 'disabled', 'disabled'])

    // The ASS track, chosen (it loads then), reads as plain text: its override tags are gone.
    const french = ana.page.getByTestId('player').getByTestId('embedded-subtitles').nth(1)
    await expect
      .poll(async () => (await showing(french)).all.map(([, text]) => text))
      .toEqual(['Hello from inside the file', 'A line that stays'])
  })

  test('a WebM with a WebVTT track still plays through MSE, and its track is offered', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(await subtitledWebm())

    const track = bo.page.getByTestId('player').getByTestId('embedded-subtitles')
    await expect(track).toHaveCount(1, { timeout: 30_000 })
    await expect(track).toHaveAttribute('srclang', 'de')
    await expect
      .poll(
        async () => {
          const now = await showing(track)
          return now.active.includes('A line that stays') && now.time >= 2 && now.time < 19
        },
        { timeout: 30_000 },
      )
      .toBe(true)
    // The subtitle track does not keep Media Source Extensions from playing the picture and the sound.
    expect(await bo.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream)).toBe(
      'mse',
    )
  })
})
