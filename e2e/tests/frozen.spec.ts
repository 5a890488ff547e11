import { test, expect, CLIENT_DIST } from '../lib/fixtures.ts'
import { createSignalServer, type SignalServer } from '../../signal-server/src/index.ts'
import { DEFAULTS } from '../../signal-server/src/config.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'
import { expectMembers, expectMessage, gather, person, say, transports, type Person } from '../lib/room.ts'

/**
 * A page whose thread stops (a busy or suspended tab) is taken for gone by the others. While it is stopped,
 * the others are introduced to it again and open their halves of new pipes, which the server closes after
 * HELD_MAX_AGE_MS without a partner; the stopped page wakes holding those introductions. The room must heal.
 */
test.setTimeout(120_000)

const HELD_AGE_MS = 4_000

test.describe('a page that stops for a while', () => {
  let people: Person[] = []
  let server: SignalServer | null = null
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
    await server?.close()
    server = null
  })

  test('is dropped while stopped and back in the room once it wakes', async ({ chromiumBrowser }) => {
    server = createSignalServer({
      host: '127.0.0.1',
      port: 0,
      clientDir: CLIENT_DIST,
      logLevel: 'warn',
      held: { ...DEFAULTS.held, ageMs: HELD_AGE_MS },
    })
    const { port } = await server.listen()
    const baseURL = `http://127.0.0.1:${port}`
    const heldTooLong = async () => {
      const text = await (await fetch(`${baseURL}/metrics`)).text()
      const line = text.split('\n').find((l) => l.includes('reason="held-too-long"'))
      return Number(line?.split(' ').pop() ?? 0)
    }
    const ana = await person(chromiumBrowser, baseURL, 'Ana')
    const bo = await person(chromiumBrowser, baseURL, 'Bo')
    const cy = await person(chromiumBrowser, baseURL, 'Cy')
    people = [ana, bo, cy]
    await gather(people)
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])
    const timedOut = await heldTooLong()

    // Paused in the debugger, Ana's page runs no task at all, as when its thread is stuck.
    const cdp = await ana.page.context().newCDPSession(ana.page)
    await cdp.send('Debugger.enable')
    await cdp.send('Debugger.pause')
    await expectMembers([bo, cy], ['Bo', 'Cy'], 30_000)
    // Bo and Cy were introduced to Ana again; their halves of the new pipes found no partner and closed.
    await expect.poll(heldTooLong, { timeout: 30_000 }).toBeGreaterThanOrEqual(timedOut + 2)
    // The host (Ana, the creator) is gone: one of the others took over.
    const hostAt = (someone: Person) =>
      someone.page
        .getByTestId('member')
        .filter({ has: someone.page.getByTestId('member-host') })
        .getByTestId('member-name')
        .allInnerTexts()
    await expect.poll(() => hostAt(bo), { timeout: 30_000 }).toEqual([expect.stringMatching(/^(Bo|Cy)$/)])
    const [host = ''] = await hostAt(bo)
    await say(bo, 'while Ana was away')
    await cdp.send('Debugger.resume')

    await expectMembers(people, ['Ana', 'Bo', 'Cy'], 30_000)
    for (const someone of people) {
      await expect.poll(() => transports(someone), { timeout: 30_000 }).toEqual(['webrtc', 'webrtc'])
    }
    await say(ana, 'back from the freeze')
    await expectMessage(people, ana, 'back from the freeze')
    await say(cy, 'welcome back')
    await expectMessage(people, cy, 'welcome back')
    await expectMessage([ana], bo, 'while Ana was away')
    // Everyone agrees on the host, and what the woken page adds reaches the others.
    for (const someone of people) await expect.poll(() => hostAt(someone)).toEqual([host])
    await ana.page.getByTestId('file-input').setInputFiles(await ensureTestVideo())
    for (const someone of people) await expect(someone.page.getByTestId('playlist-item')).toHaveCount(1)
  })
})
