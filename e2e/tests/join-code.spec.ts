import { test, expect } from '../lib/fixtures.ts'
import { createRoom, enterName, expectMembers, expectMessage, person, say, type Person } from '../lib/room.ts'

/**
 * Join by code: a member's page shows a short code; someone who types it on the start page lands in the
 * room, through a PAKE with that member (the signal server only sees the code's nameplate). A wrong guess
 * gets a sentence and burns the code; a code nobody answers gets a sentence too, never a spinner.
 */
test.setTimeout(90_000)

test.describe('join by code', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  async function codeOf(someone: Person): Promise<string> {
    const code = someone.page.getByTestId('room-code')
    await expect(code).toHaveText(/^\d{1,3}-[a-z]+-[a-z]+$/)
    return (await code.textContent())!
  }

  async function typeCode(someone: Person, code: string): Promise<void> {
    await someone.page.goto('/')
    await someone.page.getByTestId('join-code-input').fill(code)
    await someone.page.getByTestId('join-code-submit').click()
  }

  test('a person who types the code lands in the room', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    const link = await createRoom(ana)
    await enterName(ana)
    const code = await codeOf(ana)

    // Typed the way people type: capitals and spaces.
    await typeCode(bo, ` ${code.replace(/-/g, ' ').toUpperCase()} `)
    await expect(bo.page).toHaveURL(link)
    await enterName(bo)
    await expectMembers(people, ['Ana', 'Bo'])
    await say(bo, 'in by code')
    await expectMessage(people, bo, 'in by code')
    // The newcomer now shows a code of its own.
    await codeOf(bo)
  })

  test('a wrong guess gets a sentence and burns the code; nobody at a code gets one too', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const eve = await person(chromiumBrowser, app.baseURL, 'Eve')
    people = [ana, eve]
    await createRoom(ana)
    await enterName(ana)
    const code = await codeOf(ana)
    const [nameplate, first, second] = code.split('-')
    const guess = `${nameplate}-${first}-${second === 'zebra' ? 'apple' : 'zebra'}`

    await typeCode(eve, guess)
    await expect(eve.page.getByTestId('join-code-error')).toContainText('did not open a room')
    await expect(eve.page).not.toHaveURL(/#\/r2?\//)
    // One guess per code: Ana's page shows a new one.
    await expect(ana.page.getByTestId('room-code')).not.toHaveText(code)

    // The old, right code no longer works either (its nameplate is left, or its words are stale).
    await typeCode(eve, code)
    await expect(eve.page.getByTestId('join-code-error')).toBeVisible({ timeout: 20_000 })
    await expect(eve.page).not.toHaveURL(/#\/r2?\//)

    // A word not on the list is named before anything is sent.
    await typeCode(eve, '7-tigre-sofa')
    await expect(eve.page.getByTestId('join-code-error')).toContainText(
      '“tigre” is not one of the code words',
    )
  })
})
