import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import {
  closeInvite,
  enterName,
  expectMembers,
  expectMessage,
  openInvite,
  person,
  say,
  type Person,
} from '../lib/room.ts'
import { readVideo, roomWatching } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

/**
 * A phone as a remote: someone joins by code (or by the invite's remote link) as a remote control. Its page
 * has the room's controls, chat and members but no video, and it downloads nothing; its play, pause and
 * skips drive everyone's video, and the room never waits for it.
 */
test.setTimeout(120_000)

/** The streaming marks a page made (streaming.svelte.ts): a page that adds a torrent marks `add`. */
function streamMarks(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    performance
      .getEntriesByType('mark')
      .map((m) => m.name)
      .filter((name) => name.startsWith('theatron:stream:')),
  )
}

test.describe('remote control', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('a remote joins by code, drives the room and downloads nothing', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    const link = await roomWatching([ana, bo], await ensureTestVideo())
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 20_000 }).toBe(false)

    // The invite offers the same room as a remote link.
    await openInvite(ana)
    const invite = ana.page.getByTestId('room-link')
    await ana.page.getByTestId('invite-as-remote').check()
    await expect(invite).toHaveAttribute('href', `${link}/remote`)
    await ana.page.getByTestId('invite-as-remote').uncheck()
    await expect(invite).toHaveAttribute('href', link)

    // Cy types Ana's code and joins as a remote.
    const code = ana.page.getByTestId('room-code')
    await expect(code).toHaveText(/^\d{1,3}-[a-z]+-[a-z]+$/)
    const typed = (await code.textContent())!
    await closeInvite(ana)
    await cy.page.goto('/')
    await cy.page.getByTestId('join-code-input').fill(typed)
    await cy.page.getByTestId('join-as-remote').click()
    await expect(cy.page).toHaveURL(`${link}/remote`)
    await enterName(cy)
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])

    // Controls, no video: the title, and the length a member who plays the film reports.
    await expect(cy.page.getByTestId('remote-stage')).toBeVisible()
    await expect(cy.page.getByTestId('player')).toHaveCount(0)
    await expect(cy.page.getByTestId('remote-title')).not.toBeEmpty()
    await expect(cy.page.getByTestId('playback-time')).toHaveText(/^\d+:\d\d \/ 0:(19|20)$/, {
      timeout: 15_000,
    })

    // Cy pauses the room, once its controls know the room's time and that it plays.
    await expect(cy.page.getByTestId('play-toggle')).toBeEnabled({ timeout: 15_000 })
    await expect(cy.page.getByTestId('play-toggle')).toHaveAttribute('data-playing', 'true')
    await cy.page.getByTestId('play-toggle').click()
    await expect.poll(async () => (await readVideo(ana.page)).paused, { timeout: 15_000 }).toBe(true)
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(true)

    // Cy skips 10 s back from where the room paused: both videos move there.
    const before = (await readVideo(ana.page)).t
    expect(before).toBeGreaterThan(0)
    await cy.page.getByTestId('remote-back').click()
    const target = Math.max(0, before - 10)
    for (const viewer of [ana, bo])
      await expect
        .poll(async () => Math.abs((await readVideo(viewer.page)).t - target), { timeout: 15_000 })
        .toBeLessThan(0.5)

    // And plays it again.
    await cy.page.getByTestId('play-toggle').click()
    await expect.poll(async () => (await readVideo(bo.page)).paused, { timeout: 15_000 }).toBe(false)

    // Chat works from the sofa.
    await say(cy, 'from the sofa')
    await expectMessage(people, cy, 'from the sofa')

    // The members who play it added the torrent; the remote added, fetched and streamed nothing.
    expect(await streamMarks(bo.page)).toContainEqual(expect.stringMatching(/^theatron:stream:add:/))
    expect(await streamMarks(cy.page)).toEqual([])
  })
})
