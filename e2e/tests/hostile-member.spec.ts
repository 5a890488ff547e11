import { test, expect } from '../lib/fixtures.ts'
import { expectMembers, expectMessage, gather, join, person, say, type Person } from '../lib/room.ts'

// Joining involves the signal server and WebRTC negotiation.
test.setTimeout(90_000)

const INFO_HASH = 'ab'.repeat(20)

/** A page's own peer id (sessionStorage, room/identity.ts). */
async function peerIdOf(someone: Person): Promise<string> {
  return someone.page.evaluate(
    () => (JSON.parse(sessionStorage.getItem('theatron:peer') ?? '{}') as { peerId: string }).peerId,
  )
}

/**
 * A modified page: Mallory sends, through the e2e build's raw room hooks (client/src/lib/testing/hooks.ts),
 * what an honest client never would: a chat she signed dated 1e16, a hello whose join times are forged and
 * whose history holds a line she signed dated -1e16 and a line she signed but passes off as Ana's, a
 * playlist op with a counter at 2^40 and a playback command stamped far ahead with a counter near 2^53.
 */
async function misbehave(mallory: Person, anaId: string): Promise<void> {
  await mallory.page.evaluate(
    async ({ infoHash, anaId }) => {
      type Signature = { name: string; at: number; pub: string; sig: string }
      type Line = { id: string; name: string; text: string; at: number }
      const hooks = (
        window as unknown as {
          __theatron?: { room?: { sendRaw(text: string): void; signChat(line: Line): Promise<Signature> } }
        }
      ).__theatron?.room
      if (!hooks) throw new Error('no room hook: is this the e2e build?')
      const self = (JSON.parse(sessionStorage.getItem('theatron:peer') ?? '{}') as { peerId: string }).peerId
      const send = (message: object) => hooks.sendRaw(JSON.stringify({ v: 1, ...message }))
      const future = { id: 'future', name: 'Mallory', text: 'a line from the future', at: 1e16 }
      send({ type: 'chat', ...future, sig: (await hooks.signChat(future)).sig })
      const old = { id: 'old', name: 'Mallory', text: 'a forged old line', at: -1e16 }
      const oldSig = await hooks.signChat(old)
      const asAna = { id: 'ana', name: 'Ana', text: 'Ana never said this', at: Date.now() }
      const asAnaSig = await hooks.signChat(asAna)
      send({
        type: 'hello',
        self: { name: 'Mallory', joinedAt: 0 },
        snapshot: {
          members: [{ id: self, name: 'Mallory', joinedAt: 0 }],
          authority: null,
          chat: [
            { ...old, id: `${self}:old`, from: self, pub: oldSig.pub, sig: oldSig.sig },
            { ...asAna, id: `${anaId}:ana`, from: anaId, pub: asAnaSig.pub, sig: asAnaSig.sig },
          ],
          features: {},
        },
      })
      const counter = 2 ** 40
      send({
        type: 'feature',
        feature: 'playlist',
        body: {
          type: 'add',
          stamp: { counter, peer: self },
          id: `${self}:${counter}`,
          key: 'z',
          item: { torrentId: `magnet:?xt=urn:btih:${infoHash}&dn=bait`, infoHash, title: 'bait' },
        },
      })
      send({
        type: 'feature',
        feature: 'playback',
        body: {
          type: 'sync/command',
          command: { kind: 'pause', stamp: { wall: 1e15, counter: 2 ** 53 - 2, peer: self }, effectiveAt: 0 },
          item: '',
        },
      })
      for (let i = 0; i < 3; i++) send({ type: 'feature', feature: `junk-${i}`, body: 'x' })
    },
    { infoHash: INFO_HASH, anaId },
  )
}

/** Uncaught errors on a page, from now on. */
function uncaught(someone: Person): string[] {
  const errors: string[] = []
  someone.page.on('pageerror', (error) => errors.push(error.message))
  return errors
}

test.describe('a hostile member', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('breaks nobody: chat renders everywhere, a newcomer gets a sound history, the playlist still edits', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const mallory = await person(chromiumBrowser, app.baseURL, 'Mallory')
    people = [ana, bo, mallory]
    const errors = [ana, bo].map(uncaught)
    const link = await gather(people)

    await misbehave(mallory, await peerIdOf(ana))
    for (const someone of [ana, bo]) {
      const line = someone.page.getByTestId('chat-message').filter({ hasText: 'a line from the future' })
      await expect(line).toHaveCount(1)
      // Dated when it arrived (1e16 ms is some 300,000 years ahead): this year, a clock time.
      const year = new Date().toISOString().slice(0, 4)
      await expect(line.locator('time')).toHaveAttribute('datetime', new RegExp(`^${year}-`))
      await expect(line.locator('time')).not.toHaveText('--:--')
      await expect(
        someone.page.getByTestId('chat-message').filter({ hasText: 'a forged old line' }),
      ).toHaveCount(1)
      // Signed by Mallory, said to be Ana's: dropped.
      await expect(
        someone.page.getByTestId('chat-message').filter({ hasText: 'Ana never said this' }),
      ).toHaveCount(0)
      await expect(someone.page.getByTestId('panel-failed')).toHaveCount(0)
    }
    await say(ana, 'still talking')
    await expectMessage([ana, bo, mallory], ana, 'still talking')

    // A newcomer gets Mallory's lines in the history, bounded, and a page that works.
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people.push(cy)
    errors.push(uncaught(cy))
    await join(cy, link)
    await expectMembers(people, ['Ana', 'Bo', 'Mallory', 'Cy'])
    await expect(
      cy.page.getByTestId('chat-message').filter({ hasText: 'a line from the future' }),
    ).toHaveCount(1)
    await expect(
      cy.page.getByTestId('chat-message').locator('time').filter({ hasText: '--:--' }),
    ).toHaveCount(0)
    await say(cy, 'hello all')
    await expectMessage(people, cy, 'hello all')

    // The playlist took Mallory's counter of 2^40 and still takes edits from everyone.
    await ana.page.getByTestId('magnet-input').fill('cd'.repeat(20))
    await ana.page.getByTestId('magnet-submit').click()
    await bo.page.getByTestId('magnet-input').fill('ef'.repeat(20))
    await bo.page.getByTestId('magnet-submit').click()
    for (const someone of [ana, bo, cy]) {
      for (const hash of ['cd', 'ef'])
        await expect(
          someone.page.locator(`[data-testid="playlist-item"][data-info-hash="${hash.repeat(20)}"]`),
        ).toHaveCount(1)
      await expect(someone.page.getByTestId('panel-failed')).toHaveCount(0)
    }
    expect(errors.flat()).toEqual([])
  })

  test("another member's magnet is fetched without its outside sources until approved", async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    const magnet =
      `magnet:?xt=urn:btih:${INFO_HASH}&dn=Film` +
      '&ws=https%3A%2F%2Fseed.invalid%2Ffilm.webm&xs=https%3A%2F%2Fxs.invalid%2Ffilm.torrent'
    await ana.page.getByTestId('magnet-input').fill(magnet)
    await ana.page.getByTestId('magnet-submit').click()
    const item = (someone: Person) => someone.page.getByTestId('playlist-item')
    await expect(item(bo)).toHaveCount(1)
    // The adder is not asked; the other member is, naming the hosts.
    await expect(item(ana).getByTestId('allow-external-sources')).toHaveCount(0)
    // (The adder's page keeps only trackers and web seeds in the magnet it shares.)
    await expect(item(bo).getByTestId('outside-sources')).toContainText('(seed.invalid)')
    await item(bo).getByTestId('allow-external-sources').click()
    await expect(item(bo).getByTestId('allow-external-sources')).toHaveCount(0)
  })
})
