import { test, expect } from '../lib/fixtures.ts'
import {
  closeInvite,
  createRoom,
  enterName,
  expectMembers,
  gather,
  openInvite,
  person,
  say,
  type Person,
} from '../lib/room.ts'

/** The page itself: a clean load (no 404, no console error, installable), and unread chat in the title. */
test.setTimeout(60_000)

test.describe('the page', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('loads without a 404 or a console error, with an icon and a manifest', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    const failed: string[] = []
    const errors: string[] = []
    ana.page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
    })
    ana.page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await createRoom(ana)
    await enterName(ana)
    await openInvite(ana)
    await expect(ana.page.getByTestId('room-code')).toBeVisible()
    await closeInvite(ana)
    const manifest = await ana.page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel=manifest]')?.href
      const response = href ? await fetch(href) : null
      return response ? { type: response.headers.get('content-type'), body: await response.json() } : null
    })
    expect(manifest?.type).toContain('manifest+json')
    expect(manifest?.body).toMatchObject({ name: 'Theatron', display: 'standalone', start_url: '/' })
    const icon = await ana.page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel=icon]')?.href
      return href ? (await fetch(href)).status : 0
    })
    expect(icon).toBe(200)
    // Reload: the icon and the manifest are asked for on a normal load as well.
    await ana.page.reload()
    await expect(ana.page.getByTestId('chat-input')).toBeVisible()
    expect(failed).toEqual([])
    expect(errors).toEqual([])
  })

  test('a name comes before anything else, remembered from last time', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await ana.page.goto('/')
    await ana.page.getByTestId('home-name-input').fill('Ana')
    await ana.page.getByTestId('create-room').click()
    // Named on the start page: straight in, listed under that name, never "Guest".
    await expect(ana.page.getByTestId('name-gate')).toBeHidden()
    await expect(ana.page.getByTestId('member').filter({ hasText: 'Ana' })).toBeVisible()
    const link = (await ana.page.getByTestId('room-link').getAttribute('href'))!

    // A first visit by link: the room asks the name first, over everything else.
    await bo.page.goto(link)
    await expect(bo.page.getByTestId('name-gate')).toBeVisible()
    await expect(bo.page.getByTestId('name-input')).toBeFocused()
    await bo.page.getByTestId('name-input').fill('Bo')
    await bo.page.getByTestId('name-save').click()
    await expect(bo.page.getByTestId('name-gate')).toBeHidden()
    await expectMembers(people, ['Ana', 'Bo'])

    // Next time, the start page remembers it.
    await bo.page.goto('/')
    await expect(bo.page.getByTestId('home-name-input')).toHaveValue('Bo')
  })

  test('a hidden tab counts unread chat in its title', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await expectMembers(people, ['Ana', 'Bo'])
    const setHidden = (hidden: boolean) =>
      ana.page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { value, configurable: true })
        document.dispatchEvent(new Event('visibilitychange'))
      }, hidden)

    await setHidden(true)
    await say(bo, 'one')
    await expect(ana.page).toHaveTitle('(1) Theatron')
    await say(bo, 'two')
    await expect(ana.page).toHaveTitle('(2) Theatron')
    await setHidden(false)
    await expect(ana.page).toHaveTitle('Theatron')
    // Our own lines never count.
    await setHidden(true)
    await say(ana, 'mine')
    await say(bo, 'three')
    await expect(ana.page).toHaveTitle('(1) Theatron')
  })
})
