import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { person, type Person } from '../lib/room.ts'
import { roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/** Accessibility: axe finds no serious or critical violation on the start page or in a room playing a video. */
test.setTimeout(90_000)

async function seriousViolations(page: Page): Promise<string[]> {
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
    await ana.page.goto('/')
    expect(await seriousViolations(ana.page)).toEqual([])

    await roomWatching([ana], await ensureTestVideo())
    await expect(ana.page.getByTestId('room-code')).toBeVisible()
    expect(await seriousViolations(ana.page)).toEqual([])

    // The scan sees what it should: an unlabelled button is a critical violation.
    await ana.page.evaluate(() =>
      document.body.append(Object.assign(document.createElement('button'), { id: 'bare' })),
    )
    expect(await seriousViolations(ana.page)).toEqual([
      expect.stringContaining('button-name (critical): #bare'),
    ])
  })
})
