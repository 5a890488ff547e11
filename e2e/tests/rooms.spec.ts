import { test, expect, startApp } from '../lib/fixtures.ts'
import {
  closeInvite,
  createRoom,
  enterName,
  expectHost,
  expectMembers,
  expectMessage,
  gather,
  join,
  openInvite,
  person,
  say,
  transports,
  type Person,
} from '../lib/room.ts'

// Joining involves the signal server, WebRTC negotiation and, for the fallback, a timeout.
test.setTimeout(90_000)

test.describe('rooms', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('three people join by link, pick names and chat', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]

    await gather(people)
    for (const someone of people) {
      await expect.poll(() => transports(someone)).toEqual(['webrtc', 'webrtc'])
      await expect(someone.page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected')
    }
    // The link comes with a QR code for phones, in the invite.
    await openInvite(ana)
    await expect(ana.page.getByTestId('room-qr')).toBeVisible()
    await closeInvite(ana)
    // The creator is the host.
    await expect(
      bo.page.getByTestId('member').filter({ hasText: 'Ana' }).getByTestId('member-host'),
    ).toHaveCount(1)

    await say(ana, 'hello from Ana')
    await say(bo, 'hi, Bo here')
    await say(cy, '<b>Cy</b> & co')
    await expectMessage(people, ana, 'hello from Ana')
    await expectMessage(people, bo, 'hi, Bo here')
    await expectMessage(people, cy, '<b>Cy</b> & co')
    // Rendered as text: no element came out of the message.
    await expect(ana.page.getByTestId('chat-message').locator('b')).toHaveCount(0)
    for (const someone of people) await expect(someone.page.getByTestId('chat-message')).toHaveCount(3)
  })

  test('a newcomer links while it picks its name, unlisted, and enters with what was said meanwhile', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    const link = await gather([ana, bo])

    await cy.page.goto(link)
    await expect(cy.page.getByTestId('name-gate')).toBeVisible()
    // Behind the name gate its links to the members are up (the join trace's `mesh` step)...
    await expect
      .poll(() => cy.page.evaluate(() => performance.getEntriesByName('theatron:join:mesh').length))
      .toBe(1)
    // ...and nobody lists it: it is in the room under no name until it chooses one.
    await say(ana, 'while Cy picks a name')
    await expectMessage([ana, bo], ana, 'while Cy picks a name')
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    await expect(cy.page.getByTestId('name-gate')).toBeVisible()

    await enterName(cy)
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])
    await expectMessage(people, ana, 'while Cy picks a name')
    await say(cy, 'hi, Cy here')
    await expectMessage(people, cy, 'hi, Cy here')
  })

  test('a newcomer gets a history larger than one WebRTC message, over WebRTC', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    people = [ana]
    const link = await gather(people)
    // 50 messages of 2000 three-byte characters: the room's hello to a newcomer is ~300 KB of JSON, more than
    // a Chromium data channel sends in one message (256 KiB).
    const texts = Array.from({ length: 50 }, (_, i) => `${i} ${'€'.repeat(1990)}`)
    for (const text of texts) await say(ana, text)
    await expect(ana.page.getByTestId('chat-message')).toHaveCount(texts.length)
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people.push(bo)
    await join(bo, link)
    await expectMembers(people, ['Ana', 'Bo'])
    await expect(bo.page.getByTestId('chat-message')).toHaveCount(texts.length)
    await expect(bo.page.getByTestId('chat-message').last()).toContainText(texts.at(-1)!)
    // The data channel carried it (in fragments) and stayed up: nobody fell back to the relay.
    for (const someone of people) await expect.poll(() => transports(someone)).toEqual(['webrtc'])
    await say(bo, 'thanks for the backlog')
    await expectMessage(people, bo, 'thanks for the backlog')
  })

  test('a reload keeps the member, its name and the chat history', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    const link = await createRoom(ana)
    await join(ana, link)
    await join(bo, link)
    await expectMembers(people, ['Ana', 'Bo'])
    await say(ana, 'before the reload')
    await expectMessage(people, ana, 'before the reload')
    const boId = await bo.page.getByTestId('member').filter({ hasText: 'Bo' }).getAttribute('data-peer-id')

    await bo.page.reload()
    // The name is remembered, so Bo rejoins without typing it; same peer id, same member.
    await expectMembers(people, ['Ana', 'Bo'])
    await expect(ana.page.getByTestId('member').filter({ hasText: 'Bo' })).toHaveAttribute(
      'data-peer-id',
      boId!,
    )
    await expect.poll(() => transports(ana)).toEqual(['webrtc'])
    await expectMessage([bo], ana, 'before the reload')
    await say(bo, 'after the reload')
    await expectMessage(people, bo, 'after the reload')
    await expect(ana.page.getByTestId('chat-notice').filter({ hasText: 'Bo left' })).toHaveCount(0)
  })

  test('a duplicated tab joins as a new member; the original tab stays in the room', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    const link = await gather(people)
    const boId = await bo.page.getByTestId('member').filter({ hasText: 'Bo' }).getAttribute('data-peer-id')

    // The browser's "Duplicate tab" copies the tab's sessionStorage (its peer id and takeover token) into a new
    // tab of the same profile, which opens the same link.
    const copied = await bo.page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)))
    const tab = await bo.context.newPage()
    await tab.addInitScript((entries: string) => {
      if (sessionStorage.length > 0) return // its own reloads keep its own storage
      for (const [key, value] of JSON.parse(entries) as [string, string][]) sessionStorage.setItem(key, value)
    }, copied)
    await tab.goto(link)
    const second: Person = { name: 'Bo', context: bo.context, page: tab, close: async () => {} }

    // Two members named Bo (the newer one told apart), with different peer ids; the original keeps its own.
    await expectMembers([ana, bo, second], ['Ana', 'Bo', 'Bo (2)'])
    const ids = await ana.page
      .getByTestId('member')
      .filter({ hasText: 'Bo' })
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-peer-id')))
    expect(new Set(ids).size).toBe(2)
    expect(ids).toContain(boId)
    // Both tabs stay connected and reach the room.
    for (const page of [bo.page, tab])
      await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected')
    await say(bo, 'from the first tab')
    await say(second, 'from the second tab')
    for (const page of [ana.page, bo.page, tab]) {
      await expect(page.getByTestId('chat-message').filter({ hasText: 'from the first tab' })).toHaveCount(1)
      await expect(page.getByTestId('chat-message').filter({ hasText: 'from the second tab' })).toHaveCount(1)
    }
    await expectMembers([ana, bo, second], ['Ana', 'Bo', 'Bo (2)'])
  })

  test('a member whose browser cannot open WebRTC chats over the pipe', async ({ app, chromiumBrowser }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { noWebRTC: true })
    people = [ana, bo, cy]
    await gather(people)
    await expect.poll(() => transports(cy)).toEqual(['relay', 'relay'])
    await expect.poll(async () => (await transports(ana)).sort()).toEqual(['relay', 'webrtc'])

    await say(cy, 'no webrtc here')
    await say(ana, 'got you, Cy')
    await expectMessage(people, cy, 'no webrtc here')
    await expectMessage(people, ana, 'got you, Cy')
  })

  test('the host removes a member; when the host leaves, the longest-present member takes over', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    const di = await person(chromiumBrowser, app.baseURL, 'Di')
    people = [ana, bo, cy, di]
    await gather(people)

    await ana.page.getByTestId('member').filter({ hasText: 'Di' }).getByTestId('member-remove').click()
    await expect(di.page.getByTestId('room-ended')).toBeVisible()
    await expectMembers([ana, bo, cy], ['Ana', 'Bo', 'Cy'])
    await say(cy, 'Di is gone')
    await expectMessage([ana, bo, cy], cy, 'Di is gone')
    await expect(di.page.getByTestId('chat-message').filter({ hasText: 'Di is gone' })).toHaveCount(0)

    // A closed tab's data channels may linger: members notice the silence (LINK_SILENCE_MS, 6 s).
    await ana.close()
    people = [bo, cy, di]
    await expectMembers([bo, cy], ['Bo', 'Cy'], 20_000)
    await expectHost([bo, cy], 'Bo')
    await expect(bo.page.getByTestId('lock-controls')).toBeVisible()
  })

  test('the room survives the signal server going away, and takes newcomers when it returns', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    const link = await gather(people)
    for (const someone of people) await expect.poll(() => transports(someone)).toEqual(['webrtc', 'webrtc'])

    await app.server.close()
    for (const someone of people) {
      await expect(someone.page.getByTestId('connection-status')).not.toHaveAttribute(
        'data-state',
        'connected',
      )
    }
    await say(bo, 'the server is gone')
    await expectMessage(people, bo, 'the server is gone')
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])

    const port = Number(new URL(app.baseURL).port)
    const restarted = await startApp(port)
    try {
      for (const someone of people) {
        await expect(someone.page.getByTestId('connection-status')).toHaveAttribute(
          'data-state',
          'connected',
          {
            timeout: 20_000,
          },
        )
      }
      const di = await person(chromiumBrowser, restarted.baseURL, 'Di')
      people.push(di)
      await join(di, link)
      await expectMembers(people, ['Ana', 'Bo', 'Cy', 'Di'])
      await say(di, 'Di made it')
      await expectMessage(people, di, 'Di made it')
      // A late joiner gets the recent chat in its snapshot.
      await expectMessage([di], bo, 'the server is gone')
    } finally {
      await Promise.all(people.map((someone) => someone.close()))
      people = []
      await restarted.server.close()
    }
  })
})
