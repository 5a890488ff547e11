import type { CDPSession, Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import type { Person } from '../lib/room.ts'
import { readVideo, roomWatching, skewedPerson, spreadMs, userActions } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * Only what a person does becomes a room command. The events the room's `<video>` fires for the app's own
 * operations, however late a busy page dispatches them, and those the element fires by itself with nobody's
 * input before them (a pause or a seek the browser makes), never do (docs/sync.md, "Who caused an event").
 */

// Two browsers, a torrent between them, and several seconds of playback per step.
test.setTimeout(120_000)

const SYNC_MS = 25

/**
 * Before the app loads: a listener ahead of the app's (capture, on the document) that blocks the main thread
 * for `window.__blockNextPauseMs` at the player's next `pause` event, as a page starved of CPU does between
 * the app's operation and the browser dispatching its event.
 */
const BLOCK_ON_PAUSE = `window.__blockNextPauseMs = 0
document.addEventListener('pause', (event) => {
  const ms = window.__blockNextPauseMs
  if (!ms || !(event.target instanceof HTMLVideoElement)) return
  window.__blockNextPauseMs = 0
  const until = performance.now() + ms
  while (performance.now() < until) {}
}, true)`

type Scope = { __theatron: { playback: { timeline(): { playing: boolean; held: boolean } } } }

/** The room's timeline as the page's playback store holds it: playing, and not held. */
function roomPlays(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const timeline = (window as unknown as Scope).__theatron.playback.timeline()
    return timeline.playing && !timeline.held
  })
}

async function expectAllPlaying(pages: Page[], check: (t: number) => boolean, what: string): Promise<void> {
  await expect
    .poll(
      async () =>
        (await Promise.all(pages.map(readVideo))).every((r) => !r.paused && !r.seeking && check(r.t)) &&
        (await Promise.all(pages.map(roomPlays))).every(Boolean),
      { message: what, timeout: 20_000 },
    )
    .toBe(true)
}

/** Runs `expression` in the page as the browser's own doing: no user gesture with it (CDP's default). */
async function asTheBrowser(cdp: CDPSession, expression: string): Promise<unknown> {
  const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
    expression,
    awaitPromise: true,
    returnByValue: true,
  })
  if (exceptionDetails) throw new Error(exceptionDetails.text)
  return result.value
}

test.describe("the element's own events", () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test("a hold's pause and seek that a busy page dispatches late are not commands", async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await ensureTestVideo()
    const ana = await skewedPerson(chromiumBrowser, app.baseURL, 'Ana', -1500)
    const bo = await skewedPerson(chromiumBrowser, app.baseURL, 'Bo', 900)
    people = [ana, bo]
    await bo.context.addInitScript({ content: BLOCK_ON_PAUSE })
    const pages = [ana.page, bo.page]
    await roomWatching(people, video)
    await expectAllPlaying(pages, () => true, 'the room plays')
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)

    // Ana seeks with the seek bar while the room plays: a hold. Bo's page pauses and seeks its element to the
    // target, and its main thread is then blocked for 1.5 s before the app hears of the pause.
    await bo.page.evaluate(
      () => ((window as unknown as { __blockNextPauseMs: number }).__blockNextPauseMs = 1500),
    )
    const { t } = await readVideo(ana.page)
    const target = t > 6 ? 1 : 12
    await ana.page.getByTestId('seek-bar').fill(String(target))

    // The room resumes from the target together: nobody paused it, nobody sought elsewhere.
    await expectAllPlaying(pages, (now) => now >= target && now < target + 6, 'all play on from the target')
    expect(await userActions(bo.page)).toEqual([])
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)
    expect(await Promise.all(pages.map(roomPlays))).toEqual([true, true])
  })

  test("a pause and a seek the element makes with nobody's input are put right, not sent to the room", async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await ensureTestVideo()
    const ana = await skewedPerson(chromiumBrowser, app.baseURL, 'Ana', -1500)
    const bo = await skewedPerson(chromiumBrowser, app.baseURL, 'Bo', 900)
    people = [ana, bo]
    const pages = [ana.page, bo.page]
    await roomWatching(people, video)
    await expectAllPlaying(pages, () => true, 'the room plays')

    // Nobody touches Bo's page (the test's own readings count as input), until the browser says so.
    const cdp = await bo.context.newCDPSession(bo.page)
    await expect
      .poll(() => asTheBrowser(cdp, 'navigator.userActivation.isActive'), { timeout: 15_000 })
      .toBe(false)

    // The element jumps 5 s and then pauses, by itself: each event awaited, so the app has seen it.
    const player = `document.querySelector('[data-testid="player"]')`
    await asTheBrowser(
      cdp,
      `new Promise((resolve) => {
        const v = ${player}
        v.addEventListener('seeking', () => resolve(), { once: true })
        v.currentTime = v.currentTime > 8 ? v.currentTime - 5 : v.currentTime + 5
      })`,
    )
    await asTheBrowser(
      cdp,
      `new Promise((resolve) => {
        const v = ${player}
        v.addEventListener('pause', () => resolve(), { once: true })
        v.pause()
      })`,
    )
    expect(await asTheBrowser(cdp, 'navigator.userActivation.isActive')).toBe(false)

    // Nothing went to the room: Bo's controller puts its element back where the room plays.
    expect(await userActions(bo.page)).toEqual([])
    await expectAllPlaying(pages, () => true, 'Bo plays again with the room')
    await expect.poll(() => spreadMs(pages), { timeout: 15_000 }).toBeLessThanOrEqual(SYNC_MS)
    expect(await Promise.all(pages.map(roomPlays))).toEqual([true, true])
  })
})
