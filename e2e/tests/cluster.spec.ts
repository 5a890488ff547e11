/**
 * Three browsers in one room through nginx (deploy/nginx.conf, TLS, round robin), each on a different
 * instance of a Redis-backed cluster: chat and a streamed video work; then the instance one of them is
 * on is SIGKILLed, and the room carries on.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { get } from 'node:https'
import { chromium, type Browser } from '@playwright/test'
import {
  kill,
  spawnInstance,
  startRedis,
  stopCluster,
  type ChildInstance,
} from '../../signal-server/test/cluster-helpers.ts'
import { startNginx, stopNginx, TEST_CERT, type Nginx } from '../../signal-server/test/nginx.ts'
import { CHROMIUM_ARGS, SYSTEM_CHROMIUM } from '../lib/browser.ts'
import { CLIENT_DIST, expect, test } from '../lib/fixtures.ts'
import { enterName, expectMembers, expectMessage, person, say, type Person } from '../lib/room.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

test.setTimeout(180_000)

const ca = readFileSync(TEST_CERT)

/** Chromium trusting the test certificate (by its public key), so the app has a real secure context. */
function launchTrusting(): Promise<Browser> {
  const spki = new X509Certificate(ca).publicKey.export({ type: 'spki', format: 'der' })
  const hash = createHash('sha256').update(spki).digest('base64')
  return chromium.launch({
    executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${hash}`],
  })
}

/** JSON from an instance (plain HTTP) or from nginx (HTTPS with the test certificate). */
async function json(url: string): Promise<Record<string, unknown>> {
  if (url.startsWith('http:')) return (await (await fetch(url)).json()) as Record<string, unknown>
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>),
      )
    }).on('error', reject)
  })
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

async function introductionSockets(instance: ChildInstance): Promise<number> {
  const health = await json(`${instance.http}/healthz`)
  return (health.connections as { introduction: number }).introduction
}

/**
 * nginx's round robin is a fixed cycle over the upstreams: ask its /healthz until the instance two before
 * `target` answered. Entering a room makes two requests: its TURN credentials (`/turn`), then its
 * introduction socket, which so lands on `target`.
 */
async function steerTo(nginx: Nginx, ids: string[], target: number): Promise<void> {
  const before = ids[(target + 2 * ids.length - 2) % ids.length]
  for (let i = 0; i < 3 * ids.length; i++)
    if ((await json(`${nginx.url}/healthz`)).instance === before) return
  throw new Error('nginx did not cycle through the instances')
}

/** The player is playing, past `seconds` (a loaded machine may stall and re-sync; this waits through that). */
async function expectPlayingPast(someone: Person, seconds: number): Promise<void> {
  const player = someone.page.getByTestId('player')
  await expect
    .poll(() => player.evaluate((v: HTMLVideoElement, s) => !v.paused && v.currentTime > s, seconds), {
      timeout: 40_000,
    })
    .toBe(true)
}

/** The player's position went back below `seconds` (a seek took effect). */
async function expectBefore(someone: Person, seconds: number): Promise<void> {
  const player = someone.page.getByTestId('player')
  await expect
    .poll(() => player.evaluate((v: HTMLVideoElement, s) => v.currentTime < s, seconds), { timeout: 20_000 })
    .toBe(true)
}

test.describe('cluster behind nginx', () => {
  let browser: Browser | null = null
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
    await browser?.close()
    await stopNginx()
    await stopCluster()
  })

  test('three browsers on three instances: chat and video, and the room survives an instance’s death', async () => {
    const videoPath = await ensureTestVideo()
    const redis = await startRedis()
    const instances = await Promise.all(
      [0, 1, 2].map(() =>
        spawnInstance(redis, { TRUSTED_PROXIES: '1', CLUSTER_INSTANCE_TTL_MS: '2000' }, CLIENT_DIST),
      ),
    )
    const ids = await Promise.all(
      instances.map(async (i) => (await json(`${i.http}/healthz`)).instance as string),
    )
    const nginx = await startNginx(instances.map((i) => i.port))
    browser = await launchTrusting()

    const ana = await person(browser, nginx.url, 'Ana')
    const bo = await person(browser, nginx.url, 'Bo')
    const cy = await person(browser, nginx.url, 'Cy')
    people = [ana, bo, cy]
    // Each page loads first; then nginx is steered so that the room's introduction socket lands on that
    // person's instance (a hash change loads no page over HTTP; the room asks `/turn`, then connects).
    // (The page's icon and manifest are fetched after its load event: wait for the network to go quiet.)
    for (const someone of people) await someone.page.goto('/', { waitUntil: 'networkidle' })
    // Ana creates the room, the others open its link. Pipes between those already in, and the browser's own
    // requests (its icon on a navigation), may shift the cycle meanwhile: then leave and try again.
    const everyone = async () => sum(await Promise.all(instances.map(introductionSockets)))
    let link = ''
    for (const [i, someone] of people.entries()) {
      for (let attempt = 1; ; attempt++) {
        await steerTo(nginx, ids, i)
        if (i === 0) {
          await someone.page.getByTestId('create-room').click()
          link = (await someone.page.getByTestId('room-link').getAttribute('href')) ?? ''
          expect(link).toMatch(new RegExp(`^${nginx.url}/#/r2/[A-Za-z0-9_-]{22}$`))
        } else await someone.page.evaluate((href) => (location.href = href), link)
        await expect.poll(everyone).toBe(i + 1)
        if ((await introductionSockets(instances[i] as ChildInstance)) === 1) break
        expect(attempt, `${someone.name}'s socket landed on the instance it was steered to`).toBeLessThan(5)
        await someone.page.goto('/', { waitUntil: 'networkidle' })
        await expect.poll(everyone).toBe(i)
      }
      await enterName(someone)
    }
    // One person per instance.
    expect(await Promise.all(instances.map(introductionSockets))).toEqual([1, 1, 1])
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])

    await say(ana, 'hello from instance one')
    await expectMessage(people, ana, 'hello from instance one')
    await say(cy, 'and from instance three')
    await expectMessage(people, cy, 'and from instance three')

    await ana.page.getByTestId('file-input').setInputFiles(videoPath)
    await expectPlayingPast(bo, 1)
    await expectPlayingPast(cy, 1)

    // Bo's instance dies. His browser reconnects through nginx to a survivor with his id and token.
    await kill(instances[1] as ChildInstance)
    await expect
      .poll(
        async () => (await introductionSockets(instances[0]!)) + (await introductionSockets(instances[2]!)),
        {
          timeout: 30_000,
        },
      )
      .toBe(3)
    await expectMembers(people, ['Ana', 'Bo', 'Cy'], 30_000)
    await say(bo, 'still here after my instance died')
    await expectMessage(people, bo, 'still here after my instance died')
    await say(ana, 'and the room carries on')
    await expectMessage(people, ana, 'and the room carries on')
    // The room still plays together: Ana takes everyone back to 1 s (the 20 s video may have ended).
    await ana.page.getByTestId('seek-bar').fill('1')
    for (const someone of [bo, cy]) await expectBefore(someone, 3)
    for (const someone of [bo, cy]) await expectPlayingPast(someone, 3)
  })
})
