import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect } from '../lib/fixtures.ts'
import { serveMedia, type MediaServer } from '../lib/media-server.ts'
import { gather, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { spreadMs } from '../lib/sync.ts'
import { testHls } from '../scripts/make-test-hls.ts'
import { testMp4 } from '../scripts/make-test-mp4.ts'

// Three browsers join over WebRTC, and two links must start playing for all of them.
test.setTimeout(180_000)

/** The playback-sync target (docs/sync.md), as for a torrent item: the room's spread comes under it. */
const SYNC_MS = 25

/** Test media in a folder of its own: an MP4, an HLS stream of the same video, and a file that is no video. */
async function mediaDir(): Promise<string> {
  const mp4 = await testMp4('h264-aac-60s-faststart.mp4', { seconds: 60, codec: 'h264', moov: 'start' })
  const hls = await testHls('hls-h264-aac-60s', mp4)
  const dir = await mkdtemp(join(tmpdir(), 'theatron-links-'))
  await cp(mp4, join(dir, 'film.mp4'))
  await cp(hls, join(dir, 'stream'), { recursive: true })
  await writeFile(join(dir, 'not-a-video.mp4'), 'this is text, not a video\n'.repeat(100))
  return dir
}

/**
 * A browser without HLS of its own, as Firefox and older Chromium are: the page then plays
 * streams through hls.js. (This Chromium plays HLS itself.)
 */
async function withoutNativeHls(someone: Person): Promise<Person> {
  await someone.context.addInitScript(() => {
    const canPlayType = HTMLMediaElement.prototype.canPlayType
    HTMLMediaElement.prototype.canPlayType = function (type: string) {
      return /mpegurl/i.test(type) ? '' : canPlayType.call(this, type)
    }
  })
  return someone
}

async function paste(someone: Person, url: string): Promise<void> {
  await someone.page.getByTestId('magnet-input').fill(url)
  await someone.page.getByTestId('magnet-submit').click()
}

/** Which path feeds someone's player (`data-stream`). */
function via(someone: Person): Promise<string | undefined> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream)
}

/** The item of this link in someone's playlist. */
function itemOf(someone: Person, title: string) {
  return someone.page.getByTestId('playlist-item').filter({ hasText: title })
}

test.describe('links to a video', () => {
  let people: Person[] = []
  let servers: MediaServer[] = []
  let dir = ''
  test.beforeEach(async () => {
    dir = await mediaDir()
  })
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    await Promise.all(servers.map((server) => server.close()))
    await rm(dir, { recursive: true, force: true })
    people = []
    servers = []
  })

  test('an MP4 link and an HLS stream play in sync for everyone, like a torrent item', async ({
    app,
    chromiumBrowser,
  }) => {
    const media = await serveMedia(dir, { cors: true })
    servers = [media]
    const ana = await withoutNativeHls(await person(chromiumBrowser, app.baseURL, 'Ana'))
    const bo = await withoutNativeHls(await person(chromiumBrowser, app.baseURL, 'Bo'))
    // Cy's page plays HLS itself, and is under WebTorrent's service worker, which must let links through.
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { streamVia: 'worker' })
    people = [ana, bo, cy]
    const errors: string[] = []
    for (const someone of people) {
      someone.page.on('pageerror', (error) => errors.push(error.message))
      // The app's CSP lets links play (media-src, connect-src) and hls.js run (on the page, no blob: worker).
      someone.page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) errors.push(message.text())
      })
    }
    await gather(people)
    const pages = people.map((someone) => someone.page)

    await paste(ana, `${media.origin}/film.mp4`)
    // The others are asked before their browser fetches from the link's server; the adder is not.
    await expect(itemOf(ana, 'film.mp4').getByTestId('allow-external-sources')).toHaveCount(0)
    for (const someone of [bo, cy]) {
      await expect(itemOf(someone, 'film.mp4').getByTestId('outside-sources')).toContainText('(127.0.0.1)')
      await itemOf(someone, 'film.mp4').getByTestId('allow-external-sources').click()
    }
    for (const someone of people) await expectPlaying(someone)
    expect(await Promise.all(people.map(via))).toEqual(['url', 'url', 'url'])
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)

    await paste(ana, `${media.origin}/stream/index.m3u8`)
    await itemOf(ana, 'index.m3u8').getByTestId('playlist-select').click()
    for (const someone of [bo, cy])
      await itemOf(someone, 'index.m3u8').getByTestId('allow-external-sources').click()
    // hls.js feeds the players of browsers without HLS; Cy's browser plays the stream itself.
    await expect.poll(() => Promise.all(people.map(via))).toEqual(['hls', 'hls', 'url'])
    for (const someone of people) await expectPlaying(someone)
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)
    expect(media.requests.get('/stream/index.m3u8')).toBeGreaterThanOrEqual(3)
    for (const someone of people) await expect(someone.page.getByTestId('player-error')).toHaveCount(0)
    expect(errors).toEqual([])
  })

  test('a link that fails says why: not there, no CORS, not a video', async ({ app, chromiumBrowser }) => {
    const withCors = await serveMedia(dir, { cors: true })
    const without = await serveMedia(dir, { cors: false })
    servers = [withCors, without]
    const ana = await withoutNativeHls(await person(chromiumBrowser, app.baseURL, 'Ana'))
    people = [ana]
    await gather(people)
    const error = ana.page.getByTestId('player-error')

    await paste(ana, `${withCors.origin}/missing.mp4`)
    await expect(error).toContainText('not there (HTTP 404)')

    await paste(ana, `${without.origin}/stream/index.m3u8`)
    await itemOf(ana, 'index.m3u8').getByTestId('playlist-select').click()
    await expect(error).toContainText('no CORS headers')

    await paste(ana, `${withCors.origin}/not-a-video.mp4`)
    await itemOf(ana, 'not-a-video.mp4').getByTestId('playlist-select').click()
    await expect(error).toContainText('format or codec isn’t supported')

    // A link that is no web link is refused in the box, and nothing is added.
    await paste(ana, 'javascript://%0aalert(1)')
    await expect(ana.page.getByTestId('stream-notice')).toBeVisible()
    await expect(ana.page.getByTestId('playlist-item')).toHaveCount(3)
  })
})
