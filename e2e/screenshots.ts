/**
 * `npm run screenshots`: the README's pictures, taken from the real app. Starts the signal server with the
 * shipped client build (`npm run build` first), opens a room in Chromium with two people, the first drops the
 * test video (e2e/scripts/make-test-video.ts, streamed to the second as a torrent), both say something, and
 * the pages are saved as they are on screen:
 *
 * - docs/screenshots/home.png — the start page, 1280×800;
 * - docs/screenshots/room-1280x800.png — the room on a laptop (the first person);
 * - docs/screenshots/room-390x844.png — the room on a phone (the second person).
 *
 * Knobs: SHOTS_CLIENT_DIST=<a client build> (serve that build instead), SHOTS_SERVER_URL=http://127.0.0.1:<port>
 * (photograph the app that server serves: an older client that speaks an older wire needs its own server),
 * SHOTS_ROUTE=r (the room-link route of an older build), SHOTS_PREFIX=before- (file name prefix; with a
 * prefix the start page is skipped), SHOTS_DIR=<folder> (default docs/screenshots), SHOTS_SCHEME=light (the system's light theme; dark by default).
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from '@playwright/test'
import { createSignalServer, type SignalServer } from '../signal-server/src/index.ts'
import { launchChromium } from './lib/browser.ts'
import { SHIPPED_DIST } from './lib/fixtures.ts'
import { person, say, type Person } from './lib/room.ts'
import { roomWatching } from './lib/sync.ts'
import { ensureTestVideo } from './scripts/make-test-video.ts'

const LAPTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
const PREFIX = process.env.SHOTS_PREFIX ?? ''
const DIR = process.env.SHOTS_DIR ?? fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
const CLIENT_DIST = process.env.SHOTS_CLIENT_DIST ?? SHIPPED_DIST
const SCHEME = process.env.SHOTS_SCHEME === 'light' ? 'light' : 'dark'

async function serve(): Promise<{ baseURL: string; server: SignalServer | null }> {
  const url = process.env.SHOTS_SERVER_URL
  if (url) return { baseURL: url, server: null }
  if (!existsSync(join(CLIENT_DIST, 'index.html'))) {
    throw new Error(`no client build in ${CLIENT_DIST}: run \`npm run build\` first`)
  }
  const server = createSignalServer({ host: '127.0.0.1', port: 0, clientDir: CLIENT_DIST, logLevel: 'warn' })
  const { port } = await server.listen()
  return { baseURL: `http://127.0.0.1:${port}`, server }
}

/** A screenshot of what is on screen, after fonts and layout settled and the caret stopped blinking. */
async function shoot(someone: Person, file: string): Promise<void> {
  await someone.page.evaluate(() => document.fonts.ready)
  await someone.page.screenshot({ path: join(DIR, file), caret: 'hide', animations: 'disabled' })
  console.log(`wrote ${join(DIR, file)}`)
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true })
  const video = await ensureTestVideo()
  const { baseURL, server } = await serve()
  const browser = await launchChromium()
  const people: Person[] = []
  try {
    const ana = await person(browser, baseURL, 'Ana')
    const bo = await person(browser, baseURL, 'Bo')
    people.push(ana, bo)
    await ana.page.setViewportSize(LAPTOP)
    await bo.page.setViewportSize(PHONE)
    // The app's own default; a headless browser reports a light system theme unless told otherwise.
    for (const someone of people) await someone.page.emulateMedia({ colorScheme: SCHEME })

    if (!PREFIX) {
      await ana.page.goto('/')
      await expect(ana.page.getByTestId('create-room')).toBeVisible()
      await shoot(ana, 'home.png')
    }

    await roomWatching([ana, bo], video, process.env.SHOTS_ROUTE)
    await say(ana, 'Popcorn ready? Starting now.')
    await say(bo, 'On my phone, in sync!')
    for (const someone of people) await expect(someone.page.getByTestId('chat-message')).toHaveCount(2)
    // A few seconds into the film, with both players running.
    await expect
      .poll(() => ana.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.currentTime), {
        timeout: 20_000,
      })
      .toBeGreaterThan(2)
    for (const someone of people) await someone.page.evaluate(() => window.scrollTo(0, 0))
    await shoot(ana, `${PREFIX}room-1280x800.png`)
    await shoot(bo, `${PREFIX}room-390x844.png`)
  } finally {
    await Promise.all(people.map((someone) => someone.close()))
    await browser.close()
    await server?.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
