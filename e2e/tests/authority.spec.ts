import { test, expect } from '../lib/fixtures.ts'
import { expectHost, expectMembers, expectMessage, gather, person, say, type Person } from '../lib/room.ts'

// Joining involves the signal server and WebRTC negotiation; a rotation joins a second document.
test.setTimeout(120_000)

/** The row of `name` in `viewer`'s member list. */
const row = (viewer: Person, name: string) =>
  viewer.page
    .getByTestId('member')
    .filter({ has: viewer.page.getByTestId('member-name').getByText(name, { exact: true }) })

/**
 * A modified page: Mallory claims the host's powers every way an honest client never would, through the e2e
 * build's raw room hooks (client/src/lib/testing/hooks.ts): the unsigned `lock` and `remove` of earlier
 * builds; a hello claiming to have been here first, naming herself host with the lock on and Ana removed,
 * carrying a chain of her own (a genesis and a state she signed); and the room's real genesis with a state
 * she signed herself (lock on, Ana and Bo removed).
 */
async function claimHost(mallory: Person, victims: string[]): Promise<void> {
  await mallory.page.evaluate(async (victims) => {
    type Body = Record<string, unknown>
    type Signed = { body: Body; pub: string; sig: string }
    const hooks = (
      window as unknown as {
        __theatron?: { room?: { sendRaw(text: string): void; signStatement(body: Body): Promise<Signed> } }
      }
    ).__theatron?.room
    if (!hooks) throw new Error('no room hook: is this the e2e build?')
    const self = (JSON.parse(sessionStorage.getItem('theatron:peer') ?? '{}') as { peerId: string }).peerId
    const send = (message: object) => hooks.sendRaw(JSON.stringify({ v: 1, ...message }))
    send({ type: 'lock', locked: true })
    for (const peerId of victims) send({ type: 'remove', peerId })
    const room = 'M'.repeat(22)
    const genesis = await hooks.signStatement({ kind: 'genesis', room, term: 0, host: self })
    const state = (roomId: string, removed: string[]) =>
      hooks.signStatement({
        kind: 'state',
        room: roomId,
        term: 0,
        seq: 1000,
        members: [self],
        removed,
        locked: true,
      })
    const own = { grants: [genesis], state: await state(room, victims) }
    send({
      type: 'hello',
      self: { name: 'Mallory', joinedAt: 0 },
      snapshot: {
        members: [{ id: self, name: 'Mallory', joinedAt: 0 }],
        hostId: self,
        locked: true,
        removed: victims,
        authority: own,
        chat: [],
        features: {},
      },
    })
    send({ type: 'lock', locked: true })
    send({ type: 'authority', authority: own })
  }, victims)
}

async function peerIdOf(someone: Person): Promise<string> {
  return someone.page.evaluate(
    () => (JSON.parse(sessionStorage.getItem('theatron:peer') ?? '{}') as { peerId: string }).peerId,
  )
}

test.describe('authority', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('the host hands over with member-make-host, and the new host can lock', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    await gather(people)
    await expectHost(people, 'Ana')
    // Only the host sees the buttons.
    await expect(bo.page.getByTestId('member-make-host')).toHaveCount(0)
    await expect(bo.page.getByTestId('rotate-link')).toHaveCount(0)

    await row(ana, 'Cy').getByTestId('member-make-host').click()
    await expectHost(people, 'Cy')
    await expect(ana.page.getByTestId('lock-controls')).toHaveCount(0)
    await cy.page.getByTestId('lock-controls').check()
    for (const someone of [ana, bo]) await expect(someone.page.getByTestId('controls-locked')).toBeVisible()
  })

  test('the host removes a member and rotates the link: the others move on, the removed one is left alone', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    const oldLink = await gather(people)
    await say(bo, 'before the new link')
    await expectMessage(people, bo, 'before the new link')

    await row(ana, 'Cy').getByTestId('member-remove').click()
    await expect(cy.page.getByTestId('room-ended')).toBeVisible()
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    await ana.page.getByTestId('rotate-link').click()

    // Both show the new link, in the page and in the address bar, without a reload; the chat stays.
    for (const someone of [ana, bo]) {
      await expect(someone.page.getByTestId('room-link')).not.toHaveAttribute('href', oldLink)
      await expect.poll(() => someone.page.url()).not.toBe(oldLink)
    }
    const newLink = await ana.page.getByTestId('room-link').getAttribute('href')
    expect(newLink).toMatch(/#\/r2\/[A-Za-z0-9_-]{22}$/)
    await expect(bo.page.getByTestId('room-link')).toHaveAttribute('href', newLink!)
    expect(bo.page.url()).toBe(newLink)
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    await expectMessage([ana, bo], bo, 'before the new link')
    await say(bo, 'on the new link')
    await say(ana, 'we moved')
    await expectMessage([ana, bo], bo, 'on the new link')
    await expectMessage([ana, bo], ana, 'we moved')

    // The removed member keeps the old link and reloads it: an empty room, none of the new chat.
    await cy.page.goto(oldLink)
    await cy.page.reload()
    await expect(cy.page.getByTestId('name-input')).toBeVisible()
    await cy.page.getByTestId('name-input').fill('Cy')
    await cy.page.getByTestId('name-save').click()
    await expectMembers([cy], ['Cy'])
    await say(ana, 'after Cy came back')
    await expectMessage([ana, bo], ana, 'after Cy came back')
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    for (const text of ['on the new link', 'we moved', 'after Cy came back'])
      await expect(cy.page.getByTestId('chat-message').filter({ hasText: text })).toHaveCount(0)
  })

  test("a modified member's forged lock, removals and host claims change nothing on the others' pages", async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const mallory = await person(chromiumBrowser, app.baseURL, 'Mallory')
    people = [ana, bo, mallory]
    await gather(people)
    await expectHost(people, 'Ana')

    await claimHost(mallory, [await peerIdOf(ana), await peerIdOf(bo)])
    // A line after the forgeries, so they have arrived when it shows.
    await say(mallory, 'done forging')
    await expectMessage([ana, bo], mallory, 'done forging')
    await expectHost([ana, bo], 'Ana')
    await expectMembers([ana, bo], ['Ana', 'Bo', 'Mallory'])
    await expect(bo.page.getByTestId('controls-locked')).toHaveCount(0)
    await expect(ana.page.getByTestId('lock-controls')).not.toBeChecked()
    await expect(bo.page.getByTestId('room-ended')).toHaveCount(0)
    await expect(bo.page.getByTestId('member-remove')).toHaveCount(0)
    // The real host still rules.
    await ana.page.getByTestId('lock-controls').check()
    await expect(bo.page.getByTestId('controls-locked')).toBeVisible()
  })
})
