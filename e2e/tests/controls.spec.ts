import { test, expect } from '../lib/fixtures.ts'
import { person, type Person } from '../lib/room.ts'
import { readVideo, roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * The controls over the video drive the room: the play button pauses and plays everyone, and the one who
 * paused is named in a toast at the others; the seek bar paints what is buffered; volume is one person's
 * own; fullscreen takes the stage (video and overlays), where the chat opens as an overlay that sends and
 * receives.
 */
test.setTimeout(120_000)

test.describe('player controls', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('drive the room, name who acted, and keep the chat in fullscreen', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await roomWatching(people, await ensureTestVideo())
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 20_000 }).toBe(false)

    // The room's controls replace the element's own.
    expect(await ana.page.getByTestId('player').evaluate((video: HTMLVideoElement) => video.controls)).toBe(
      false,
    )

    // Ana's play button pauses everyone; Bo is told who did it, and where.
    const toggle = ana.page.getByTestId('play-toggle')
    await expect(toggle).toHaveAttribute('data-playing', 'true')
    await toggle.click()
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(true)
    await expect(bo.page.getByTestId('toast').filter({ hasText: /^Ana paused at \d+:\d\d$/ })).toBeVisible()
    await expect(ana.page.getByTestId('toast').filter({ hasText: /^You paused at / })).toBeVisible()
    await expect(bo.page.getByTestId('toasts')).toHaveAttribute('aria-live', 'polite')
    await toggle.click()
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(false)

    // The seek bar paints what is buffered: some of the 20 s video, at both.
    for (const someone of people) {
      const range = someone.page.getByTestId('buffered-range').first()
      await expect(range).toBeAttached({ timeout: 15_000 })
      await expect.poll(async () => (await range.boundingBox())?.width ?? 0).toBeGreaterThan(0)
    }

    // While the room plays, a still pointer over the picture lets the controls fade; the keyboard brings
    // them back.
    const chrome = ana.page.getByTestId('playback-controls').locator('..')
    const picture = (await ana.page.getByTestId('player').boundingBox())!
    await ana.page.mouse.move(picture.x + picture.width / 2, picture.y + picture.height / 3)
    await expect(chrome).toHaveCSS('opacity', '0', { timeout: 10_000 })
    await ana.page.keyboard.press('Tab')
    await expect(chrome).toHaveCSS('opacity', '1')

    // Volume is Ana's own: mute, then a level that is remembered.
    await ana.page.getByTestId('mute-toggle').click()
    const sound = (page: typeof ana.page) =>
      page
        .getByTestId('player')
        .evaluate((video: HTMLVideoElement) => ({ muted: video.muted, volume: video.volume }))
    expect((await sound(ana.page)).muted).toBe(true)
    expect((await sound(bo.page)).muted).toBe(false)
    await ana.page.getByTestId('volume').fill('0.3')
    expect(await sound(ana.page)).toEqual({ muted: false, volume: 0.3 })
    expect(await ana.page.evaluate(() => localStorage.getItem('theatron:volume'))).toBe('0.3')
    expect((await sound(bo.page)).volume).toBe(1)

    // Fullscreen takes the stage: the video with its controls, not the bare element.
    await ana.page.getByTestId('fullscreen-toggle').click()
    await expect
      .poll(() =>
        ana.page.evaluate(() => {
          const element = document.fullscreenElement
          return (
            !!element?.hasAttribute('data-fullscreen-stage') &&
            !!element.querySelector('[data-testid=player]')
          )
        }),
      )
      .toBe(true)
    const stage = ana.page.locator('[data-fullscreen-stage]')
    await expect(stage.getByTestId('play-toggle')).toBeVisible()

    // There the chat opens over the video (the button, or C); a line goes out from it and an answer comes
    // back into it.
    await stage.getByTestId('chat-toggle').click()
    const overlay = stage.getByTestId('chat-overlay')
    await expect(overlay).toBeVisible()
    await stage.getByTestId('chat-toggle').click()
    await expect(overlay).toHaveCount(0)
    await ana.page.keyboard.press('c')
    await expect(overlay.getByTestId('chat-input')).toBeFocused()
    await overlay.getByTestId('chat-input').fill('from the sofa')
    await overlay.getByTestId('chat-send').click()
    await expect(bo.page.getByTestId('chat-message').filter({ hasText: 'from the sofa' })).toHaveCount(1)
    await bo.page.getByTestId('chat-input').fill('heard you')
    await bo.page.getByTestId('chat-send').click()
    await expect(overlay.getByTestId('chat-message').filter({ hasText: 'heard you' })).toHaveCount(1)

    // The button leaves fullscreen, and the overlay goes with it.
    await stage.getByTestId('fullscreen-toggle').click()
    await expect.poll(() => ana.page.evaluate(() => document.fullscreenElement === null)).toBe(true)
    await expect(ana.page.getByTestId('chat-overlay')).toHaveCount(0)
  })
})
