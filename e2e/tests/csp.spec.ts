import { test, expect } from '../lib/fixtures.ts'
import { expectMessage, gather, person, say, transports, type Person } from '../lib/room.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

// Three browsers, WebRTC negotiation per torrent link, and a video that must start playing.
test.setTimeout(120_000)

/**
 * Content-Security-Policy violations on someone's pages: the `securitypolicyviolation` events of the
 * document, and the console lines the browser writes when it refuses something.
 */
async function watchViolations(someone: Person): Promise<string[]> {
  const violations: string[] = []
  await someone.context.exposeFunction('__cspViolation', (line: string) => violations.push(line))
  await someone.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __cspViolation(line: string): void }).__cspViolation
      report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}`)
    })
  })
  someone.page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
  })
  return violations
}

test.describe('the app under its Content-Security-Policy', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('loads, chats, hashes, and streams a video by file, MSE and service worker, with no violation', async ({
    app,
    chromiumBrowser,
  }) => {
    const videoPath = await ensureTestVideo()
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { streamVia: 'worker' })
    people = [ana, bo, cy]
    const violations = await Promise.all(people.map(watchViolations))

    const response = await ana.page.goto('/')
    const policy = response?.headers()['content-security-policy'] ?? ''
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval';")
    expect(policy).toContain("frame-ancestors 'none'")
    expect(response?.headers()['referrer-policy']).toBe('no-referrer')

    await gather(people)
    for (const someone of people) await expect.poll(() => transports(someone)).toEqual(['webrtc', 'webrtc'])
    await say(bo, 'popcorn ready')
    await expectMessage(people, bo, 'popcorn ready')

    await ana.page.getByTestId('file-input').setInputFiles(videoPath)
    for (const someone of people) {
      const player = someone.page.getByTestId('player')
      await expect
        .poll(() => player.evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 1), {
          timeout: 30_000,
        })
        .toBe(true)
    }
    const via = await Promise.all(
      people.map((someone) =>
        someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.dataset.stream),
      ),
    )
    expect(via).toEqual(['file', 'mse', 'worker'])
    // Ana's hashing workers compiled the WebAssembly SHA-1 and timed it against WebCrypto's.
    const sha1 = await ana.page.evaluate(() =>
      performance
        .getEntriesByName('theatron:trace:hashing:sha1')
        .map((mark) => (mark as PerformanceMark).detail as Record<string, unknown>),
    )
    expect(sha1.length).toBeGreaterThan(0)
    for (const report of sha1) expect(typeof report['wasm']).toBe('number')
    expect(violations.flat()).toEqual([])
  })
})
