import { test, expect } from '../lib/fixtures.ts'
import { CLIENT_DIST } from '../lib/fixtures.ts'
import { expectMessage, gather, person, say, transports, type Person } from '../lib/room.ts'
import { startCoturn, type Coturn } from '../lib/turn.ts'
import { keepPeerConnections } from '../lib/peer-connections.ts'
import { createSignalServer, type SignalServer } from '../../signal-server/src/index.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

// coturn, two browsers negotiating every connection through it, and a video that must start playing.
test.setTimeout(120_000)

const SECRET = 'e2e-turn-shared-secret'

/** The ICE candidate types of every connected RTCPeerConnection the page made: [local, remote] each. */
function selectedPairs(someone: Person): Promise<Array<[string, string]>> {
  return someone.page.evaluate(async () => {
    const made = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections
    const pairs: Array<[string, string]> = []
    for (const pc of made) {
      if (pc.connectionState !== 'connected') continue
      const stats: Array<Record<string, unknown>> = []
      ;(await pc.getStats()).forEach((entry: Record<string, unknown>) => stats.push(entry))
      const byId = new Map(stats.map((entry) => [entry.id, entry]))
      const transport = stats.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId)
      const pair = byId.get(transport?.selectedCandidatePairId)
      pairs.push([
        String(byId.get(pair?.localCandidateId)?.candidateType),
        String(byId.get(pair?.remoteCandidateId)?.candidateType),
      ])
    }
    return pairs
  })
}

/** Someone who may only use relayed candidates, and whose RTCPeerConnections the test can inspect. */
async function relayOnlyPerson(...args: Parameters<typeof person>): Promise<Person> {
  const someone = await person(...args)
  await someone.context.addInitScript(() => localStorage.setItem('theatron:ice-relay-only', '1'))
  await keepPeerConnections(someone.context)
  return someone
}

test.describe('TURN', () => {
  let coturn: Coturn
  let server: SignalServer
  let baseURL: string
  let people: Person[] = []

  test.beforeEach(async () => {
    coturn = await startCoturn(SECRET)
    server = createSignalServer({
      host: '127.0.0.1',
      port: 0,
      clientDir: CLIENT_DIST,
      logLevel: 'warn',
      turn: { urls: coturn.urls, secret: SECRET, ttlSeconds: 600 },
    })
    baseURL = `http://127.0.0.1:${(await server.listen()).port}`
  })

  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
    await server.close()
    await coturn.stop()
  })

  test('two relay-only browsers chat and stream a video through coturn', async ({ chromiumBrowser }) => {
    const videoPath = await ensureTestVideo()
    const ana = await relayOnlyPerson(chromiumBrowser, baseURL, 'Ana')
    const bo = await relayOnlyPerson(chromiumBrowser, baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    // WebRTC, not the pipe: with relayed candidates only, that is a TURN allocation on each side.
    for (const someone of people) await expect.poll(() => transports(someone)).toEqual(['webrtc'])
    await say(ana, 'through the relay')
    await expectMessage(people, ana, 'through the relay')

    await ana.page.getByTestId('file-input').setInputFiles(videoPath)
    const player = bo.page.getByTestId('player')
    await expect
      .poll(() => player.evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 1), {
        timeout: 30_000,
      })
      .toBe(true)
    await expect
      .poll(() => bo.page.getByTestId('playlist-item').first().getAttribute('data-downloaded').then(Number))
      .toBeGreaterThan(0)

    // Every connection each of them has up (the room's and the torrent's) runs over relayed candidates.
    for (const someone of people) {
      const pairs = await selectedPairs(someone)
      expect(pairs.length, `${someone.name}'s connections`).toBeGreaterThanOrEqual(2)
      expect(pairs).toEqual(pairs.map(() => ['relay', 'relay']))
      const policy = await someone.page.evaluate(() =>
        (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections.map(
          (pc) => pc.getConfiguration().iceTransportPolicy,
        ),
      )
      expect(new Set(policy)).toEqual(new Set(['relay']))
    }
    // And coturn saw the allocations, made with the signal server's credentials.
    expect(coturn.log()).toMatch(/ALLOCATE processed, success/)
  })
})
