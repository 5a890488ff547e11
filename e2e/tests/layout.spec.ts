import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { enterName, join, person, createRoom, type Person } from '../lib/room.ts'
import { roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * The theater layout: on a laptop (1280×800) and a phone (390×844) the video and the chat input are both on
 * screen without scrolling, and nothing scrolls sideways; on the wide screen the chat is beside the video.
 */
test.setTimeout(90_000)

async function onScreen(page: Page, testId: string): Promise<void> {
  const box = await page.getByTestId(testId).boundingBox()
  const viewport = page.viewportSize()!
  expect(box, `${testId} is laid out`).not.toBeNull()
  expect(box!.y, `${testId} starts on screen`).toBeGreaterThanOrEqual(0)
  expect(box!.y + box!.height, `${testId} ends on screen`).toBeLessThanOrEqual(viewport.height)
  expect(box!.x + box!.width, `${testId} fits the width`).toBeLessThanOrEqual(viewport.width)
}

test.describe('layout', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  for (const [label, size] of [
    ['a laptop, 1280×800', { width: 1280, height: 800 }],
    ['a phone, 390×844', { width: 390, height: 844 }],
  ] as const) {
    test(`on ${label}: the video and the chat input on screen, no sideways scroll`, async ({
      app,
      chromiumBrowser,
    }) => {
      const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
      people = [ana]
      await ana.page.setViewportSize(size)
      await roomWatching([ana], await ensureTestVideo())
      await ana.page.evaluate(() => window.scrollTo(0, 0))
      await onScreen(ana.page, 'player')
      await onScreen(ana.page, 'chat-input')
      const sideways = await ana.page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      )
      expect(sideways).toBeLessThanOrEqual(0)
      const video = (await ana.page.getByTestId('player').boundingBox())!
      const chat = (await ana.page.getByTestId('chat-input').boundingBox())!
      if (size.width >= 1024) {
        // Beside: the chat's column starts right of the video, and the video takes most of the width.
        expect(chat.x).toBeGreaterThanOrEqual(video.x + video.width)
        expect(video.width).toBeGreaterThan(size.width * 0.55)
      } else {
        expect(chat.y).toBeGreaterThan(video.y + video.height)
      }
    })
  }

  test('a second person on a phone joins and sees the same layout', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await bo.page.setViewportSize({ width: 390, height: 844 })
    const link = await createRoom(ana)
    await enterName(ana)
    await join(bo, link)
    await onScreen(bo.page, 'chat-input')
  })

  test('the sidebar: chat first, a tab or an arrow key brings another panel; the sync details open', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    await ana.page.setViewportSize({ width: 1280, height: 800 })
    await createRoom(ana)
    await enterName(ana)
    const page = ana.page
    const tab = (id: string) => page.getByTestId(`tab-${id}`)

    await expect(tab('chat')).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('chat-input')).toBeInViewport()
    await expect(page.getByTestId('magnet-input')).not.toBeInViewport()

    await tab('playlist').click()
    await expect(tab('playlist')).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('magnet-input')).toBeInViewport()
    await expect(page.getByTestId('chat-input')).not.toBeInViewport()

    // The tablist's keys: an arrow to the next tab, Home back to the first.
    await page.keyboard.press('ArrowRight')
    await expect(tab('members')).toBeFocused()
    await expect(tab('members')).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('member-name')).toBeInViewport()
    await page.keyboard.press('Home')
    await expect(tab('chat')).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('chat-input')).toBeInViewport()

    // A control in another panel is still one click away: the strip brings its panel, and its tab follows.
    await page.getByTestId('lock-controls').check()
    await expect(tab('members')).toHaveAttribute('aria-selected', 'true')

    // The sync table is a small indicator until asked for.
    await expect(page.getByTestId('member-health')).toBeHidden()
    await page.getByTestId('sync-indicator').click()
    await expect(page.getByTestId('member-health')).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('member-health')).toBeHidden()
  })
})
