import { test, expect } from '../lib/fixtures.ts'
import { expectMembers, person, type Person } from '../lib/room.ts'
import { readVideo, roomWatching, spreadMs } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * A browser without an autoplay exemption (most people's): the joiner of a playing room sees one "Join
 * playback" button, and after one click plays in sync.
 *
 * Headless Chromium plays everything whatever `--autoplay-policy` says (checked with this Chromium: a
 * fresh page's unmuted `play()` resolves under `user-gesture-required` and
 * `document-user-activation-required` alike), so the joiner's page gets the policy's rule from an init
 * script: an unmuted `play()` before the page's first user activation (real input,
 * as Playwright's clicks are) is refused with `NotAllowedError`, as Chrome does.
 * (Activation is read from trusted input events: this Chromium reports `navigator.userActivation` as
 * active on a page nobody touched.)
 */
test.setTimeout(120_000)

test.describe('autoplay blocked', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('the joiner clicks once and is in sync', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    const link = await roomWatching([ana], await ensureTestVideo())
    await expect.poll(async () => (await readVideo(ana.page)).paused, { timeout: 20_000 }).toBe(false)

    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people.push(bo)
    await bo.context.addInitScript(() => {
      let activated = false
      for (const type of ['pointerdown', 'keydown', 'click'])
        window.addEventListener(type, (event) => (activated ||= event.isTrusted), true)
      const play = HTMLMediaElement.prototype.play
      HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
        if (this.muted || activated) return play.call(this)
        return Promise.reject(
          new DOMException(
            "play() failed because the user didn't interact with the document first.",
            'NotAllowedError',
          ),
        )
      }
    })
    // A returning person: the name is remembered, so opening the link is the only thing done on the page
    // (typing a name and clicking would count as the interaction the browser waits for).
    await bo.context.addInitScript(() => localStorage.setItem('theatron:name', 'Bo'))
    await bo.page.goto(link)
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    // The test video is 20 s: the room starts over at 1 s, so it plays on while Bo decides.
    await ana.page.getByTestId('seek-bar').fill('1')

    const unblock = bo.page.getByTestId('playback-unblock')
    await expect(unblock).toBeVisible({ timeout: 30_000 })
    await expect(unblock).toHaveCount(1)
    expect((await readVideo(bo.page)).paused).toBe(true)
    await unblock.click()
    await expect(unblock).toBeHidden()
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(false)
    await expect.poll(() => spreadMs([ana.page, bo.page]), { timeout: 15_000 }).toBeLessThanOrEqual(25)
  })
})
