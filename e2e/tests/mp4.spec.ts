import type { Browser } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { gather, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { spreadMs } from '../lib/sync.ts'
import { testMp4 } from '../scripts/make-test-mp4.ts'

// Three browsers, WebRTC negotiation per torrent link, and videos that must start playing.
test.setTimeout(180_000)

/** The playback-sync target (docs/sync.md): the room's spread comes under it once everyone plays. */
const SYNC_MS = 25

/** Which path feeds someone's player (`data-stream`: file, mse or worker). */
function via(someone: Person): Promise<string | undefined> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream)
}

/** The buffered range someone's playhead is in, and the playhead. */
function playingRange(someone: Person): Promise<{ now: number; range: number[] | undefined }> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => {
    const ranges = Array.from({ length: v.buffered.length }, (_, i) => [
      v.buffered.start(i),
      v.buffered.end(i),
    ])
    const now = v.currentTime
    return { now, range: ranges.find(([start, end]) => start! <= now && now < end!) }
  })
}

/**
 * Where in the frame period the frames someone's player presents lie: each of `count` presented frames'
 * media time (`requestVideoFrameCallback`) modulo the frame duration, in seconds.
 */
function framePhases(someone: Person, frameS: number, count = 5): Promise<number[]> {
  return someone.page.getByTestId('player').evaluate(
    (v: HTMLVideoElement, [period, n]) =>
      new Promise<number[]>((resolve) => {
        const phases: number[] = []
        const next = () =>
          v.requestVideoFrameCallback((_, frame) => {
            phases.push(((frame.mediaTime % period) + period) % period)
            if (phases.length < n) next()
            else resolve(phases)
          })
        next()
      }),
    [frameS, count] as const,
  )
}

test.describe('MP4 through Media Source Extensions', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  /** Ana and Bo in one room, Ana dropping `file` (both closed after the test). */
  async function anaDropsForBo(browser: Browser, baseURL: string, file: string): Promise<[Person, Person]> {
    const ana = await person(browser, baseURL, 'Ana')
    const bo = await person(browser, baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(file)
    return [ana, bo]
  }

  test('an MP4 with its index at the end: the others play it in sync through MSE, and a seek lands', async ({
    app,
    chromiumBrowser,
  }) => {
    const mp4 = await testMp4('h264-aac-20s-moov-end.mp4', { seconds: 20, codec: 'h264', moov: 'end' })
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(mp4)
    await expectPlaying(bo)
    await expectPlaying(cy)
    // Bo's and Cy's pages fragment the MP4 themselves and append it (Ana plays her own file).
    expect(await via(bo)).toBe('mse')
    expect(await via(cy)).toBe('mse')
    const pages = people.map((someone) => someone.page)
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)

    // Back to 9 s; on a slow machine the 20 s may have played out meanwhile (the room then waits, paused).
    await ana.page.getByTestId('seek-bar').fill('9')
    const toggle = ana.page.getByTestId('play-toggle')
    if ((await toggle.textContent())?.includes('Play')) await toggle.click()
    for (const someone of [bo, cy]) await expectPlaying(someone, { past: 9 })
    await expect(bo.page.getByTestId('player-error')).toHaveCount(0)
  })

  test('an MP4 whose video starts with an empty edit: the others show its frames where its owner does', async ({
    app,
    chromiumBrowser,
  }) => {
    // Passed through ffmpeg's concat demuxer, as films joined from clips are: a 21 ms empty edit before the
    // video (ffprobe: start time 0.021016), which Chromium's file player applies and its Media Source ignores.
    const mp4 = await testMp4('h264-aac-20s-joined.mp4', {
      seconds: 20,
      codec: 'h264',
      moov: 'start',
      joined: true,
    })
    const [ana, bo] = await anaDropsForBo(chromiumBrowser, app.baseURL, mp4)
    await expectPlaying(bo)
    expect(await via(ana)).toBe('file')
    expect(await via(bo)).toBe('mse')
    // 25 frames a second: Ana's own file shows frame k at k × 40 ms + 21 ms, and so must Bo's fragments.
    const frameS = 0.04
    const edit = 0.021016
    // How far a phase lies from the edit's, the shorter way round the period (a phase of 0 may read 0.039999…).
    const offEdit = (phases: number[]) =>
      Math.max(...phases.map((p) => Math.min(Math.abs(p - edit), frameS - Math.abs(p - edit))))
    const [anas, bos] = await Promise.all([framePhases(ana, frameS), framePhases(bo, frameS)])
    expect(offEdit(anas), `Ana's frames: ${anas.join(', ')}`).toBeLessThan(0.001)
    expect(offEdit(bos), `Bo's frames: ${bos.join(', ')}`).toBeLessThan(0.001)
  })

  test('a long faststart MP4: a far seek fetches from the sync samples there, not from the start', async ({
    app,
    chromiumBrowser,
  }) => {
    // 200 s: a 20 s clip ten times over (stream copy), its index first.
    const mp4 = await testMp4('h264-aac-200s-faststart.mp4', {
      seconds: 20,
      codec: 'h264',
      moov: 'start',
      loops: 10,
    })
    const [ana, bo] = await anaDropsForBo(chromiumBrowser, app.baseURL, mp4)
    await expectPlaying(bo)
    expect(await via(bo)).toBe('mse')
    const duration = await bo.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.duration)
    expect(duration).toBeGreaterThan(190)

    // Far past what Bo appended (a minute ahead at most): his read restarts at the keyframe before 150 s,
    // so the range he plays in starts there.
    await ana.page.getByTestId('seek-bar').fill('150')
    await expectPlaying(bo, { past: 150 })
    const playing = await playingRange(bo)
    expect(playing.range?.[0], JSON.stringify(playing)).toBeGreaterThan(140)
  })

  test('an HEVC MP4 this browser cannot play: the others read which codec, not a black box', async ({
    app,
    chromiumBrowser,
  }) => {
    const hevc = await testMp4('hevc-4s.mp4', { seconds: 4, codec: 'hevc', moov: 'end' })
    const [ana, bo] = await anaDropsForBo(chromiumBrowser, app.baseURL, hevc)
    // Bo's page reads the codec from the index and does not hand the file to the worker; Ana's element
    // refuses her own file, and her page names the codec from the file's index.
    for (const someone of [bo, ana])
      await expect(someone.page.getByTestId('player-error')).toHaveText(
        'This video uses HEVC (hvc1), which this browser cannot play.',
        { timeout: 30_000 },
      )
  })
})
