import type { Browser, Locator } from '@playwright/test'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from '../lib/browser.ts'
import { test, expect } from '../lib/fixtures.ts'
import { enterName, gather, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { keepPeerConnections } from '../lib/peer-connections.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

// Two or three browsers with fake cameras and microphones, and the call connections between them.
test.setTimeout(90_000)

/** Frames the element presented, counted with requestVideoFrameCallback until `frames` came. */
function countFrames(video: Locator, frames: number): Promise<number> {
  return video.evaluate(
    (element, wanted) =>
      new Promise<number>((resolve) => {
        const el = element as HTMLVideoElement
        let seen = 0
        const onFrame = () => {
          if (++seen >= wanted) resolve(seen)
          else el.requestVideoFrameCallback(onFrame)
        }
        el.requestVideoFrameCallback(onFrame)
      }),
    frames,
  )
}

/** Pixels of the element's current frame, drawn small onto a canvas. */
function snapshot(video: Locator): Promise<number[]> {
  return video.evaluate((element) => {
    const el = element as HTMLVideoElement
    const canvas = document.createElement('canvas')
    canvas.width = 64
    canvas.height = 36
    const context = canvas.getContext('2d')
    if (!context) return []
    context.drawImage(el, 0, 0, canvas.width, canvas.height)
    return [...context.getImageData(0, 0, canvas.width, canvas.height).data]
  })
}

/** The next frame the element presents, after `after` (requestVideoFrameCallback). */
function nextFrame(video: Locator): Promise<void> {
  return video.evaluate(
    (element) =>
      new Promise<void>((resolve) =>
        (element as HTMLVideoElement).requestVideoFrameCallback(() => resolve()),
      ),
  )
}

/** Resolves once the tile's `data-speaking` took these values in this order (from now on, or already). */
function speakingFlips(tile: Locator, wanted: string[]): Promise<string[]> {
  return tile.evaluate(
    (element, sequence) =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = []
        const check = () => {
          const value = element.getAttribute('data-speaking') ?? ''
          if (value === sequence[seen.length]) seen.push(value)
          if (seen.length === sequence.length) {
            observer.disconnect()
            resolve(seen)
          }
        }
        const observer = new MutationObserver(check)
        observer.observe(element, { attributes: true, attributeFilter: ['data-speaking'] })
        check()
      }),
    wanted,
  )
}

/** A mono 16-bit PCM WAV of `seconds` of silence. */
function silentWav(rate: number, seconds: number): Buffer {
  const data = rate * seconds * 2
  const wav = Buffer.alloc(44 + data)
  wav.write('RIFF', 0)
  wav.writeUInt32LE(36 + data, 4)
  wav.write('WAVEfmt ', 8)
  wav.writeUInt32LE(16, 16) // the format chunk's size
  wav.writeUInt16LE(1, 20) // PCM
  wav.writeUInt16LE(1, 22) // one channel
  wav.writeUInt32LE(rate, 24)
  wav.writeUInt32LE(rate * 2, 28) // bytes a second
  wav.writeUInt16LE(2, 32) // bytes a frame
  wav.writeUInt16LE(16, 34) // bits a sample
  wav.write('data', 36)
  wav.writeUInt32LE(data, 40)
  return wav
}

test.describe('voice and video', () => {
  let people: Person[] = []
  let browsers: Browser[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
    await Promise.all(browsers.map((browser) => browser.close()))
    browsers = []
  })

  test("a camera shows moving at the others', with a speaking indicator for its microphone", async ({
    app,
    chromiumBrowser,
  }) => {
    const ann = await person(chromiumBrowser, app.baseURL, 'Ann')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ann, bo]
    await gather(people)

    // Off by default: nobody sends anything, so nobody has a tile.
    await expect(ann.page.getByTestId('mic-toggle')).toHaveAttribute('aria-pressed', 'false')
    await expect(ann.page.getByTestId('camera-toggle')).toHaveAttribute('aria-pressed', 'false')
    await expect(bo.page.getByTestId('cam-tile')).toHaveCount(0)

    await ann.page.getByTestId('camera-toggle').click()
    await ann.page.getByTestId('mic-toggle').click()
    await expect(ann.page.getByTestId('camera-toggle')).toHaveAttribute('aria-pressed', 'true')
    await expect(ann.page.getByTestId('mic-toggle')).toHaveAttribute('aria-pressed', 'true')

    const tile = bo.page.getByTestId('cam-tile')
    await expect(tile).toHaveCount(1)
    await expect(tile.getByTestId('cam-name')).toHaveText('Ann')
    const video = tile.getByTestId('cam-video')
    await expect(video).toBeVisible()

    // Moving: frames keep coming, and two of them differ (the fake camera's pattern turns).
    expect(await countFrames(video, 10)).toBe(10)
    const first = await snapshot(video)
    expect(first.some((value) => value > 0)).toBe(true)
    for (let frame = 0; frame < 5; frame++) await nextFrame(video)
    const later = await snapshot(video)
    expect(later).not.toEqual(first)

    // The fake microphone beeps twice a second: the indicator comes on with a beep, goes off between beeps,
    // and comes on again (every change of the attribute is watched, so none is missed between polls).
    expect(await speakingFlips(tile, ['true', 'false', 'true'])).toEqual(['true', 'false', 'true'])

    // Muted here: no indicator, the button says so; Ann is untouched.
    await tile.getByTestId('cam-mute').click()
    await expect(tile.getByTestId('cam-mute')).toHaveAttribute('aria-pressed', 'true')
    await expect(tile).toHaveAttribute('data-speaking', 'false')
    await expect(ann.page.getByTestId('mic-toggle')).toHaveAttribute('aria-pressed', 'true')

    // Both devices off: the tile goes.
    await ann.page.getByTestId('camera-toggle').click()
    await expect(tile.getByTestId('cam-video')).toHaveCount(0)
    await ann.page.getByTestId('mic-toggle').click()
    await expect(bo.page.getByTestId('cam-tile')).toHaveCount(0)
  })

  test('while a film plays, the camera captures no more than it sends, and its size comes back at a pause', async ({
    app,
    chromiumBrowser,
  }) => {
    const ann = await person(chromiumBrowser, app.baseURL, 'Ann')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ann, bo]
    await gather(people)
    await ann.page.getByTestId('camera-toggle').click()
    // Ann's own preview shows what her camera captures: a room of two gets the larger picture (call/quality.ts).
    const preview = ann.page.getByTestId('cam-self').locator('video')
    const captured = () => preview.evaluate((v: HTMLVideoElement) => v.videoWidth)
    await expect.poll(captured).toBe(640)
    await expect(bo.page.getByTestId('cam-tile').getByTestId('cam-video')).toBeVisible()

    // A film plays: the camera is sent at tile size, and captured at it too (not captured large and scaled away).
    await ann.page.getByTestId('file-input').setInputFiles(await ensureTestVideo())
    await expectPlaying(ann, { within: 20_000 })
    await expect.poll(captured).toBe(320)
    const sent = bo.page.getByTestId('cam-tile').getByTestId('cam-video')
    await expect.poll(() => sent.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeLessThanOrEqual(320)

    // Paused: the room-size picture comes back to the capture. (What Bo then receives is the encoder's to
    // choose: WebRTC lowers the resolution of a busy sender on its own, so its exact size is not checked.)
    await ann.page.getByTestId('play-toggle').click()
    await expect.poll(captured).toBe(640)
  })

  test('a quiet microphone sends a packet every 400 ms, not every 20 ms (Opus DTX)', async ({ app }) => {
    // A microphone that hears silence: the fake device plays a WAV of zeros (the default one beeps twice a
    // second, too often for DTX's pause to start).
    const silence = join(tmpdir(), 'theatron-silence.wav')
    await writeFile(silence, silentWav(48_000, 5))
    const browser = await launchChromium([`--use-file-for-fake-audio-capture=${silence}`])
    browsers.push(browser)
    const ann = await person(browser, app.baseURL, 'Ann')
    const bo = await person(browser, app.baseURL, 'Bo')
    people = [ann, bo]
    // The page's peer connections, to read the audio sender's statistics.
    await keepPeerConnections(ann.context)
    await gather(people)
    await ann.page.getByTestId('mic-toggle').click()
    await expect(bo.page.getByTestId('cam-tile')).toHaveCount(1)
    const packetsSent = () =>
      ann.page.evaluate(async () => {
        let packets = 0
        for (const connection of (window as unknown as { __peerConnections: RTCPeerConnection[] })
          .__peerConnections)
          (await connection.getStats()).forEach((entry: Record<string, unknown>) => {
            if (entry['type'] === 'outbound-rtp' && entry['kind'] === 'audio')
              packets += Number(entry['packetsSent'] ?? 0)
          })
        return { packets, at: performance.now() }
      })
    await expect.poll(async () => (await packetsSent()).packets).toBeGreaterThan(0)
    const before = await packetsSent()
    await ann.page.waitForFunction((since) => performance.now() - since >= 3000, before.at)
    const after = await packetsSent()
    const perSecond = ((after.packets - before.packets) * 1000) / (after.at - before.at)
    // With DTX, one packet per 400 ms of silence; without, 50 a second whatever it hears.
    expect(perSecond).toBeGreaterThan(0)
    expect(perSecond).toBeLessThan(25)
  })

  test('a denied permission gets a sentence, not a black box', async ({ app, chromiumBrowser }) => {
    // A context that holds no camera or microphone permission: Chromium refuses getUserMedia.
    const context = await chromiumBrowser.newContext({ baseURL: app.baseURL })
    const page = await context.newPage()
    const dee: Person = { name: 'Dee', context, page, close: () => context.close() }
    people = [dee]
    await page.addInitScript(() => localStorage.setItem('theatron:ice-servers', '[]'))
    await page.goto('/')
    await page.getByTestId('create-room').click()
    await enterName(dee)

    await page.getByTestId('camera-toggle').click()
    await expect(page.getByTestId('call-error')).toHaveText(/did not allow the camera/)
    await expect(page.getByTestId('camera-toggle')).toHaveAttribute('aria-pressed', 'false')
    await expect(page.getByTestId('cam-self')).toHaveCount(0)
  })

  test('a member on the relay sees "no voice over the relay" instead of silence', async ({
    app,
    chromiumBrowser,
  }) => {
    const ann = await person(chromiumBrowser, app.baseURL, 'Ann')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { noWebRTC: true })
    people = [ann, cy]
    await gather(people)

    await ann.page.getByTestId('mic-toggle').click()
    const tile = cy.page.getByTestId('cam-tile')
    await expect(tile).toHaveAttribute('data-note', 'relay')
    await expect(tile.getByTestId('cam-note')).toHaveText(/No voice over the relay/)
  })

  test("a shared screen is the room's current item, live at the others, until it stops", async ({ app }) => {
    // The picker answers itself with Chromium's fake screen.
    const browser = await launchChromium(['--use-fake-ui-for-media-stream'])
    try {
      const ann = await person(browser, app.baseURL, 'Ann')
      const bo = await person(browser, app.baseURL, 'Bo')
      people = [ann, bo]
      await gather(people)

      // A film in the playlist, selected for the room: the item the room goes back to after the share.
      const hash = 'c'.repeat(40)
      await bo.page.getByTestId('tab-playlist').click()
      await bo.page.getByTestId('magnet-input').fill(`magnet:?xt=urn:btih:${hash}&dn=film`)
      await bo.page.getByTestId('magnet-input').press('Enter')
      for (const someone of people)
        await expect(someone.page.getByTestId('player')).toHaveAttribute('data-info-hash', hash)

      await ann.page.getByTestId('screen-toggle').click()
      await expect(ann.page.getByTestId('screen-toggle')).toHaveAttribute('aria-pressed', 'true')
      await expect(ann.page.getByTestId('screen-share')).toContainText('You are sharing your screen')

      // At Bo's: the screen item is the current one, in the stage instead of the film, moving, its delay shown.
      const row = bo.page.getByTestId('playlist-item').filter({ has: bo.page.getByTestId('screen-item') })
      await expect(row).toHaveAttribute('data-selected', 'true')
      await expect(row).toContainText("Ann's screen")
      await expect(bo.page.getByTestId('player')).toHaveAttribute('data-info-hash', '')
      const share = bo.page.getByTestId('screen-share')
      await expect(share).toContainText("Ann's screen")
      const video = share.getByTestId('screen-video')
      expect(await countFrames(video, 10)).toBe(10)
      await expect(share.getByTestId('screen-latency')).toHaveText(/^\d+ ms behind$/)
      // Sharing alone needs no camera or microphone: nobody has a tile.
      await expect(bo.page.getByTestId('cam-tile')).toHaveCount(0)

      // Live: no seeking, and a pause is refused with a sentence; only Ann can take her screen away.
      await expect(bo.page.getByTestId('playback-time')).toHaveText(/live/i)
      await expect(bo.page.getByTestId('seek-bar')).toBeDisabled()
      await bo.page.getByTestId('play-toggle').click()
      await expect(bo.page.getByTestId('live-refused')).toHaveText(/live screen share: it cannot be/)
      await expect(row.getByTestId('playlist-remove')).toBeDisabled()

      await ann.page.getByTestId('screen-toggle').click()
      for (const someone of people) {
        await expect(someone.page.getByTestId('screen-share')).toHaveCount(0)
        await expect(someone.page.getByTestId('screen-item')).toHaveCount(0)
        await expect(someone.page.getByTestId('player')).toHaveAttribute('data-info-hash', hash)
      }
    } finally {
      await Promise.all(people.map((someone) => someone.close()))
      people = []
      await browser.close()
    }
  })
})
