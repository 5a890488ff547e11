import { test, expect } from '../lib/fixtures.ts'
import { gather, person, type Person } from '../lib/room.ts'

// Three browsers join over the signal server and WebRTC.
test.setTimeout(90_000)

/** What `viewer` shows over its video: each reaction's emoji and sender's name. */
async function shownReactions(viewer: Person): Promise<string[]> {
  return viewer.page
    .getByTestId('reaction')
    .evaluateAll((items) =>
      items.map((item) => `${item.getAttribute('data-emoji')} ${item.querySelector('.who')?.textContent}`),
    )
}

test.describe('reactions', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('a reaction reaches everyone with the sender’s name', async ({ app, chromiumBrowser }) => {
    people = await Promise.all(['Ana', 'Bo', 'Cy'].map((name) => person(chromiumBrowser, app.baseURL, name)))
    const [, bo] = people as [Person, Person, Person]
    await gather(people)

    const palette = bo.page.getByTestId('reaction-button')
    await expect(palette).not.toHaveCount(0)
    // Every button has a name a screen reader reads.
    for (const name of await palette.evaluateAll((buttons) =>
      buttons.map((b) => b.getAttribute('aria-label')),
    ))
      expect(name).toMatch(/^React: \w/)
    await bo.page.getByRole('button', { name: 'React: Laughing' }).click()

    for (const someone of people) {
      await expect(someone.page.getByTestId('reaction')).toHaveCount(1)
      expect(await shownReactions(someone)).toEqual(['😂 Bo'])
    }
    // It fades and goes.
    for (const someone of people) await expect(someone.page.getByTestId('reaction')).toHaveCount(0)
  })

  test('a flood from a modified client is cut to the burst and breaks nothing', async ({
    app,
    chromiumBrowser,
  }) => {
    people = await Promise.all(['Ana', 'Mallory'].map((name) => person(chromiumBrowser, app.baseURL, name)))
    const [ana, mallory] = people as [Person, Person]
    const warnings: string[] = []
    ana.page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text())
    })
    await gather(people)

    await mallory.page.evaluate(() => {
      const hooks = (window as unknown as { __theatron?: { room?: { sendRaw(text: string): void } } })
        .__theatron?.room
      if (!hooks) throw new Error('no room hook: is this the e2e build?')
      const send = (body: unknown) =>
        hooks.sendRaw(JSON.stringify({ v: 1, type: 'feature', feature: 'reaction', body }))
      for (let i = 0; i < 40; i++) send({ emoji: '👍', at: i })
      send({ emoji: 'Ana is leaving', at: 1 })
    })

    await expect.poll(() => warnings.some((w) => /Ana is leaving|ERR_INVALID/.test(w))).toBe(true)
    expect(warnings.filter((w) => /sends more than the palette allows/.test(w))).toHaveLength(1)
    expect(await shownReactions(ana)).toEqual(Array(5).fill('👍 Mallory'))
    // The page goes on: Ana's own reaction still shows, on both screens.
    await ana.page.getByRole('button', { name: 'React: Applause' }).click()
    await expect(mallory.page.getByTestId('reaction').filter({ hasText: 'Ana' })).toHaveCount(1)
  })
})
