import { test, expect } from '../lib/fixtures.ts'
import { person, type Person } from '../lib/room.ts'
import { readVideo, roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * Keyboard shortcuts drive the room: K pauses everyone, L moves everyone 10 s on, M mutes only the
 * person who pressed it, C goes to the chat, where typing is typing, Esc leaves it, ? lists the keys.
 */
test.setTimeout(120_000)

test.describe('keyboard', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('shortcuts drive the room, never while typing', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await roomWatching(people, await ensureTestVideo())
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 20_000 }).toBe(false)

    // K (focus on the page, not a field): the room pauses.
    await ana.page.locator('body').click({ position: { x: 1, y: 1 } })
    await ana.page.keyboard.press('k')
    await expect.poll(async () => (await readVideo(bo.page)).paused).toBe(true)
    const before = (await readVideo(bo.page)).t

    // L: everyone 10 s on (the test video is 20 s long).
    await ana.page.keyboard.press('l')
    await expect
      .poll(async () => (await readVideo(bo.page)).t - before, { timeout: 15_000 })
      .toBeGreaterThan(9.5)
    await expect.poll(async () => (await readVideo(bo.page)).t - before).toBeLessThan(10.5)

    // M mutes Ana only.
    await ana.page.keyboard.press('m')
    const muted = (page: typeof ana.page) =>
      page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=player]')!.muted)
    expect(await muted(ana.page)).toBe(true)
    expect(await muted(bo.page)).toBe(false)

    // C goes to the chat; there, k and space are letters, and the room stays paused.
    await ana.page.keyboard.press('c')
    await expect(ana.page.getByTestId('chat-input')).toBeFocused()
    await ana.page.keyboard.type('ok k ')
    await expect(ana.page.getByTestId('chat-input')).toHaveValue('ok k ')
    expect((await readVideo(bo.page)).paused).toBe(true)
    // Esc leaves the field; then Space plays for the room.
    await ana.page.keyboard.press('Escape')
    await expect(ana.page.getByTestId('chat-input')).not.toBeFocused()
    await ana.page.keyboard.press(' ')
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(false)

    // ? shows the list, and hides it.
    await ana.page.keyboard.press('?')
    await expect(ana.page.getByTestId('shortcut-help')).toBeVisible()
    await expect(ana.page.getByTestId('shortcut-help')).toContainText('Play or pause')
    await ana.page.keyboard.press('?')
    await expect(ana.page.getByTestId('shortcut-help')).toBeHidden()
  })
})
