import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { closeInvite, openInvite, person, say, type Person } from '../lib/room.ts'
import { roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * Accessibility: axe finds no serious or critical violation on the start page or in a room playing a video,
 * in the dark theme (the default) and the light one, with the invite and the sync details open too.
 */
test.setTimeout(90_000)

async function seriousViolations(page: Page): Promise<string[]> {
  // A scheme change (emulateMedia) or a new panel starts colour transitions (buttons fade their background
  // for 150 ms): contrast is judged on the colours a person reads, once they have finished. getAnimations()
  // brings the styles up to date first, so a transition the last change started is among them.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation instanceof CSSTransition)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  )
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    )
}

test.describe('accessibility', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('the start page and a playing room have no serious or critical violations', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    const schemes = ['dark', 'light'] as const
    await ana.page.goto('/')
    for (const colorScheme of schemes) {
      await ana.page.emulateMedia({ colorScheme })
      expect(await seriousViolations(ana.page), `start page, ${colorScheme}`).toEqual([])
    }

    await roomWatching([ana], await ensureTestVideo())
    await say(ana, 'a line in the member colour')
    for (const colorScheme of schemes) {
      await ana.page.emulateMedia({ colorScheme })
      // Every tab panel is laid out (the strip scrolls between them), so one scan covers all three.
      expect(await seriousViolations(ana.page), `room, ${colorScheme}`).toEqual([])
      await openInvite(ana)
      await expect(ana.page.getByTestId('room-code')).toBeVisible()
      expect(await seriousViolations(ana.page), `invite, ${colorScheme}`).toEqual([])
      await closeInvite(ana)
      await ana.page.getByTestId('sync-indicator').click()
      await expect(ana.page.getByTestId('member-health')).toBeVisible()
      expect(await seriousViolations(ana.page), `sync details, ${colorScheme}`).toEqual([])
      await ana.page.keyboard.press('Escape')
      await expect(ana.page.getByTestId('member-health')).toBeHidden()
    }

    // The scan sees what it should: an unlabelled button is a critical violation.
    await ana.page.evaluate(() =>
      document.body.append(Object.assign(document.createElement('button'), { id: 'bare' })),
    )
    expect(await seriousViolations(ana.page)).toEqual([
      expect.stringContaining('button-name (critical): #bare'),
    ])
  })

  test('every control of a playing room is reached with Tab alone', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    await roomWatching([ana], await ensureTestVideo())
    // The seek bar takes focus once the video's length is known.
    await expect(ana.page.getByTestId('seek-bar')).toBeEnabled({ timeout: 20_000 })
    await ana.page.locator('body').click({ position: { x: 1, y: 1 } })

    // Tab from the top of the page until the focus comes round again, noting each control it lands on.
    const reached: string[] = []
    for (let i = 0; i < 120; i++) {
      await ana.page.keyboard.press('Tab')
      const id = await ana.page.evaluate(
        () => document.activeElement?.closest('[data-testid]')?.getAttribute('data-testid') ?? '',
      )
      if (id && reached.includes(id) && id === reached[0]) break
      if (id) reached.push(id)
    }
    for (const control of [
      'invite-open',
      'sync-indicator',
      'play-toggle',
      'seek-bar',
      'mute-toggle',
      'volume',
      'speed-select',
      'fullscreen-toggle',
      'hold-opt-out',
      'tab-chat',
      'chat-input',
      'chat-send',
    ])
      expect(reached, `Tab reaches ${control}`).toContain(control)
    // The other tabs are one arrow key away from the selected one (the tablist pattern), and their panels'
    // controls come next in the Tab order.
    await ana.page.getByTestId('tab-chat').click()
    await ana.page.keyboard.press('ArrowRight')
    await expect(ana.page.getByTestId('tab-playlist')).toBeFocused()
    await ana.page.keyboard.press('ArrowRight')
    await expect(ana.page.getByTestId('tab-members')).toBeFocused()
    expect(reached).toContain('magnet-input')
  })
})
