import { readFile, stat } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { createRoom, expectMembers, gather, join, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { systemClockOffsetMs } from '../lib/sync.ts'
import { derivedVideo, ensureTestVideo, longTestVideo } from '../scripts/make-test-video.ts'

/** Players here must be playing within 20 s. */
const STARTS = { within: 20_000 }

// Four browsers, WebRTC negotiation per torrent link, and a 20 s video that must start playing.
test.setTimeout(120_000)

/**
 * Which path feeds someone's player (`data-stream`: file, mse or worker) and what it plays: the URL, or the
 * kind of source object (a worker's MediaSource is a `MediaSourceHandle`).
 */
function playerSource(someone: Person): Promise<{ via: string | undefined; src: string }> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => ({
    via: v.dataset.stream,
    src: v.srcObject ? `object:${(v.srcObject as object).constructor.name}` : v.currentSrc,
  }))
}

/** A number from the playlist item's data attributes (downloaded, uploaded, peers). */
function itemNumber(page: Page, attribute: string): Promise<number> {
  return page
    .getByTestId('playlist-item')
    .first()
    .getAttribute(`data-${attribute}`)
    .then((value) => Number(value ?? 0))
}

/** Instants on the system clock (one for every page) of each page's first media events, and where they happened. */
type FirstMediaEvents = Partial<Record<'canplay' | 'play' | 'playing', number>> & { positions: string }

/** The first pieces a member's torrent started with, sent with the item by its adder (torrent/head.ts), or null. */
async function headOf(page: Page): Promise<{ pieces: number; bytes: number } | null> {
  const infoHash = await page.getByTestId('playlist-item').first().getAttribute('data-info-hash')
  return page.evaluate(
    (hash) =>
      (performance.getEntriesByName(`theatron:stream:head:${hash}`)[0] as PerformanceMark | undefined)
        ?.detail ?? null,
    infoHash,
  )
}

/**
 * In the page: records the first `canplay`, `play` and `playing` (media events do not bubble: capture them), in
 * epoch ms at each event's own time stamp — when the element fired it. A loaded page runs the listener late,
 * and that lag differs from page to page.
 */
function recordFirstMediaEvents(): void {
  const firsts: Record<string, number> = {}
  const positions: string[] = []
  ;(window as unknown as { firstMediaEvents: () => FirstMediaEvents }).firstMediaEvents = () => ({
    ...firsts,
    positions: positions.join(', '),
  })
  for (const type of ['canplay', 'play', 'playing'])
    document.addEventListener(
      type,
      (event) => {
        if (type in firsts) return
        firsts[type] = performance.timeOrigin + event.timeStamp
        positions.push(`${type} at ${(event.target as HTMLMediaElement).currentTime.toFixed(3)} s`)
      },
      true,
    )
}

/**
 * The page's first media events on the system clock, one for every page: each renderer's own epoch is off
 * by its own offset (`systemClockOffsetMs`).
 */
async function readFirstMediaEvents(page: Page): Promise<FirstMediaEvents> {
  const firsts = await page.evaluate(() =>
    (window as unknown as { firstMediaEvents: () => FirstMediaEvents }).firstMediaEvents(),
  )
  const offset = await systemClockOffsetMs(page)
  const shifted = (at: number | undefined) => (at === undefined ? undefined : at - offset)
  return {
    canplay: shifted(firsts.canplay),
    play: shifted(firsts.play),
    playing: shifted(firsts.playing),
    positions: firsts.positions,
  }
}

/** Drops files on the page the way a file manager does: dragover, then drop, with the files in a DataTransfer. */
async function dropFiles(page: Page, files: { name: string; bytes: Buffer; type: string }[]): Promise<void> {
  const encoded = files.map(({ name, bytes, type }) => ({ name, type, base64: bytes.toString('base64') }))
  const dataTransfer = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer()
    for (const { name, type, base64 } of list) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      transfer.items.add(new File([bytes], name, { type }))
    }
    return transfer
  }, encoded)
  await page.locator('body').dispatchEvent('dragover', { dataTransfer })
  await expect(page.getByTestId('drop-overlay')).toBeVisible()
  await page.locator('body').dispatchEvent('drop', { dataTransfer })
  await expect(page.getByTestId('drop-overlay')).toBeHidden()
}

test.describe('streaming', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('A drops a video; B and C stream it from A; a late joiner D streams it too', async ({
    app,
    chromiumBrowser,
  }) => {
    const videoPath = await ensureTestVideo()
    const { size } = await stat(videoPath)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    // Bo's page appends the WebM to his player itself (MSE); Cy's plays it through the service worker.
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { streamVia: 'worker' })
    // Di, who joins late, appends on her page's own thread, as browsers without MSE in workers do.
    people = [ana, bo, cy]
    const link = await gather(people)
    for (const someone of people) await someone.page.evaluate(recordFirstMediaEvents)
    await ana.page.getByTestId('file-input').setInputFiles(videoPath)
    for (const someone of people) {
      const item = someone.page.getByTestId('playlist-item')
      await expect(item).toHaveCount(1)
      await expect(item).toHaveAttribute('data-selected', 'true')
      await expect(item).toContainText('test-video.webm')
    }
    await expectPlaying(bo, STARTS)
    await expectPlaying(cy, STARTS)
    // The room started when all three could play: Ana's element started only after every element could.
    // (How close together each then first played depends on how late a starved main thread acts on the
    // start: bench:stream measures it, as `start spread`.)
    const firsts = await Promise.all(people.map((someone) => readFirstMediaEvents(someone.page)))
    const anaPlayed = firsts[0]?.play
    expect(anaPlayed, `Ana's element played (${JSON.stringify(firsts)})`).toBeDefined()
    for (const [i, someone] of people.entries())
      expect(
        firsts[i]?.canplay,
        `${someone.name} could play before the room started (${JSON.stringify(firsts)})`,
      ).toBeLessThanOrEqual(anaPlayed!)
    // Ana plays her own file from disk; Bo's page feeds his player through MSE, from a worker's MediaSource;
    // Cy's streams through the service worker.
    expect(await playerSource(ana)).toEqual({ via: 'file', src: expect.stringMatching(/^blob:/) })
    expect(await playerSource(bo)).toEqual({ via: 'mse', src: 'object:MediaSourceHandle' })
    expect(await playerSource(cy)).toEqual({ via: 'worker', src: expect.stringContaining('/webtorrent/') })
    const heads = []
    for (const someone of [bo, cy]) {
      // The first pieces came with the item, and their torrent found them true (torrent/head.ts).
      const head = await headOf(someone.page)
      expect(head?.pieces, `${someone.name} started with the head Ana sent`).toBeGreaterThan(0)
      heads.push(head?.bytes ?? 0)
      // The rest came over the room's torrent links: peers connected, bytes downloaded.
      await expect.poll(() => itemNumber(someone.page, 'peers')).toBeGreaterThan(0)
      await expect.poll(() => itemNumber(someone.page, 'downloaded')).toBeGreaterThan(0)
      await expect(someone.page.getByTestId('torrent-progress')).toHaveAttribute('value', /^\d+$/)
    }
    // Only Ana had the file: every piece past the head has left her browser at least once.
    await expect
      .poll(() => itemNumber(ana.page, 'uploaded'), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(size - Math.max(...heads))

    const di = await person(chromiumBrowser, app.baseURL, 'Di', { mseThread: 'page' })
    people.push(di)
    await join(di, link)
    await expectMembers(people, ['Ana', 'Bo', 'Cy', 'Di'])
    await expect(di.page.getByTestId('playlist-item')).toHaveCount(1)
    // Back to 1 s once D is in (the room may have played to the end of the 20 s video meanwhile on a slow
    // machine): D streams into the room's playhead and plays on with it.
    await ana.page.getByTestId('seek-bar').fill('1')
    await expectPlaying(di, STARTS)
    expect(await playerSource(di)).toEqual({ via: 'mse', src: expect.stringMatching(/^blob:/) })
    await expect.poll(() => itemNumber(di.page, 'peers')).toBeGreaterThan(0)
  })

  test('a long WebM through MSE: a minute appended ahead, and a far seek fetches from the cluster there', async ({
    app,
    chromiumBrowser,
  }) => {
    const long = await longTestVideo()
    const { size } = await stat(long)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(long)
    await expectPlaying(bo, STARTS)
    const player = bo.page.getByTestId('player')
    expect((await playerSource(bo)).via).toBe('mse')
    // Every byte arrives, but Bo's page appends at most a minute past the playhead (media/mse.ts, AHEAD_S), plus
    // the chunk that crossed it (≤ 512 KiB, ~10 s of this video).
    await expect
      .poll(() => itemNumber(bo.page, 'downloaded'), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(size)
    const ahead = await player.evaluate((v: HTMLVideoElement) => ({
      end: v.buffered.end(v.buffered.length - 1),
      now: v.currentTime,
      duration: v.duration,
    }))
    expect(ahead.duration).toBeGreaterThan(190)
    expect(ahead.end, JSON.stringify(ahead)).toBeLessThan(ahead.now + 60 + 15)

    // Bo's page read the Cues (at the file's end) once his player was ahead, before anyone seeks: a seek then
    // finds its cluster without waiting for them (`webm:cues`, the e2e build's trace).
    const cuesRead = () =>
      bo.page.evaluate(() => performance.getEntriesByName('theatron:trace:webm:cues').length)
    await expect.poll(cuesRead).toBe(1)

    // Ana jumps to 150 s, far past what Bo appended: his page fetches from the cluster at 150 s (found in the
    // Cues), so the range he plays in starts there instead of running on from the start.
    await ana.page.getByTestId('seek-bar').fill('150')
    await expectPlaying(bo, { ...STARTS, past: 150 })
    const playing = await player.evaluate((v: HTMLVideoElement) => {
      const ranges = Array.from({ length: v.buffered.length }, (_, i) => [
        v.buffered.start(i),
        v.buffered.end(i),
      ])
      return { now: v.currentTime, ranges }
    })
    const range = playing.ranges.find(([start, end]) => start! <= playing.now && playing.now < end!)
    expect(range?.[0], JSON.stringify(playing)).toBeGreaterThan(140)
    expect(await cuesRead()).toBe(1)
  })

  test('a leecher’s background download gives way while its player waits, and comes back once it is ahead', async ({
    app,
    chromiumBrowser,
  }) => {
    // 200 s, 8.5 MB (~43 kB/s). Ana's upload is capped at ~6× that, so Bo's torrent is still incomplete when
    // the checks below are made, and the background's return is the player's doing, not a finished download.
    const long = await longTestVideo()
    const { size } = await stat(long)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.evaluate((bps) => {
      const hooks = (window as unknown as { __theatron?: { torrent?: { throttleUpload(b: number): void } } })
        .__theatron?.torrent
      if (!hooks) throw new Error('no torrent hooks: not the e2e build')
      hooks.throttleUpload(bps)
    }, 256 * 1024)
    await ana.page.getByTestId('file-input').setInputFiles(long)
    await expectPlaying(bo, STARTS)
    expect((await playerSource(bo)).via).toBe('mse')

    // Bo's page marks each change (`torrent:background`, the e2e build's trace): off while his player starts,
    // back once it has enough ahead.
    const changes = () =>
      bo.page.evaluate(() =>
        performance
          .getEntriesByName('theatron:trace:torrent:background')
          .map((mark) => ((mark as PerformanceMark).detail as { on: boolean }).on),
      )
    await expect.poll(changes, { timeout: 30_000 }).toEqual([false, true])
    expect(await itemNumber(bo.page, 'downloaded')).toBeLessThan(size)

    // A seek far past what Bo has: it gives way again at once, and comes back once he plays there with room.
    await ana.page.getByTestId('seek-bar').fill('150')
    await expectPlaying(bo, { ...STARTS, past: 150 })
    await expect.poll(async () => (await changes()).slice(2), { timeout: 30_000 }).toEqual([false, true])
    expect(await itemNumber(bo.page, 'downloaded')).toBeLessThan(size)
  })

  test('a .webm that MSE cannot open (a Matroska file by another name) plays through the service worker', async ({
    app,
    chromiumBrowser,
  }) => {
    // The same VP9/Opus, muxed as Matroska: its EBML document type is "matroska", which Chromium's MSE
    // refuses, but its demuxer behind a plain src plays.
    const matroska = await derivedVideo('matroska-4s.webm', { output: ['-t', '4', '-f', 'matroska'] })
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(matroska)
    await expectPlaying(bo, { ...STARTS, past: 0.5 })
    expect(await playerSource(bo)).toEqual({ via: 'worker', src: expect.stringContaining('/webtorrent/') })
  })

  test('the playlist: plain errors, add, reorder, select, remove for everyone; the host can lock it', async ({
    app,
    chromiumBrowser,
  }) => {
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    const link = await createRoom(ana)
    await join(ana, link)

    await ana.page.getByTestId('magnet-input').fill('magnet:?xt=urn:btih:nope')
    await ana.page.getByTestId('magnet-submit').click()
    await expect(ana.page.getByTestId('stream-notice')).toContainText('info hash')
    // Two torrents nobody seeds: bare info hashes are accepted too.
    for (const hash of ['1'.repeat(40), '2'.repeat(40)]) {
      await ana.page.getByTestId('magnet-input').fill(hash)
      await ana.page.getByTestId('magnet-submit').click()
    }
    // The first one added is selected; alone, with no seeder, Ana is told so.
    const first = ana.page.getByTestId('playlist-item').first()
    await expect(first).toHaveAttribute('data-selected', 'true')
    await expect(first).toHaveAttribute('data-status', 'waiting-for-peers')
    await expect(first).toContainText('Waiting for peers')

    // Bo joins later and gets the playlist; the two of them are linked for the selected torrent.
    await join(bo, link)
    await expectMembers(people, ['Ana', 'Bo'])
    const hashes = (someone: Person) =>
      someone.page
        .getByTestId('playlist-item')
        .evaluateAll((items) => items.map((item) => item.getAttribute('data-info-hash')?.slice(0, 2)))
    for (const someone of people) await expect.poll(() => hashes(someone)).toEqual(['11', '22'])
    await expect.poll(() => itemNumber(bo.page, 'peers')).toBe(1)
    // The same torrent again (as a magnet this time) is not a second item: it plays, for everyone.
    await bo.page.getByTestId('magnet-input').fill(`magnet:?xt=urn:btih:${'2'.repeat(40)}&dn=again`)
    await bo.page.getByTestId('magnet-submit').click()
    await expect(bo.page.getByTestId('stream-notice')).toContainText('already in the playlist: playing it')
    for (const someone of people) {
      await expect.poll(() => hashes(someone)).toEqual(['11', '22'])
      await expect(someone.page.getByTestId('playlist-item').nth(1)).toHaveAttribute('data-selected', 'true')
      await expect(someone.page.getByTestId('player')).toHaveAttribute('data-info-hash', '2'.repeat(40))
    }

    await bo.page.getByTestId('playlist-item').nth(1).getByTestId('playlist-up').click()
    await expect.poll(() => hashes(ana)).toEqual(['22', '11'])
    await ana.page.getByTestId('playlist-item').first().getByTestId('playlist-select').click()
    await expect(bo.page.getByTestId('playlist-item').first()).toHaveAttribute('data-selected', 'true')
    await expect(bo.page.getByTestId('player')).toHaveAttribute('data-info-hash', '2'.repeat(40))
    await bo.page.getByTestId('playlist-item').nth(1).getByTestId('playlist-remove').click()
    await expect.poll(() => hashes(ana)).toEqual(['22'])

    await ana.page.getByTestId('lock-controls').check()
    await expect(bo.page.getByTestId('magnet-input')).toBeDisabled()
    await expect(bo.page.getByTestId('playlist-remove')).toBeDisabled()
    await ana.page.getByTestId('magnet-input').fill('3'.repeat(40))
    await ana.page.getByTestId('magnet-submit').click()
    await expect.poll(() => hashes(bo)).toEqual(['22', '33'])
  })

  test('a dropped folder: the largest video plays with its subtitles; choosing the other file switches everyone', async ({
    app,
    chromiumBrowser,
  }) => {
    const clip = await ensureTestVideo()
    const short = await derivedVideo('short-4s.webm', { output: ['-t', '4'] })
    const srt = '1\n00:00:00,000 --> 00:00:19,000\nHello from the subtitles\n'
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)

    await dropFiles(ana.page, [
      { name: 'short.webm', bytes: await readFile(short), type: 'video/webm' },
      { name: 'clip.webm', bytes: await readFile(clip), type: 'video/webm' },
      { name: 'clip.en.srt', bytes: Buffer.from(srt), type: 'application/x-subrip' },
    ])
    await expect(bo.page.getByTestId('playlist-item')).toHaveCount(1)
    // Bo streams the largest video, with a chooser for the other one and the subtitles as a WebVTT track.
    await expect(bo.page.getByTestId('player-title')).toHaveText('clip.webm')
    const choices = bo.page.getByTestId('file-choice').locator('option')
    await expect(choices).toHaveText([/clip\.webm$/, /short\.webm$/])
    const track = bo.page.getByTestId('player').locator('track')
    await expect(track).toHaveCount(1)
    await expect(track).toHaveAttribute('srclang', 'en')
    await expect(track).toHaveAttribute('label', 'English')
    // The track's cues as the browser parsed them (the page's CSP keeps fetches of blob: URLs out).
    const cue = await track.evaluate(async (element: HTMLTrackElement) => {
      element.track.mode = 'hidden'
      if (element.readyState < HTMLTrackElement.LOADED)
        await new Promise((resolve) => {
          element.addEventListener('load', resolve, { once: true })
          element.addEventListener('error', resolve, { once: true })
        })
      return Array.from(element.track.cues ?? []).some((c) =>
        (c as VTTCue).text.includes('Hello from the subtitles'),
      )
    })
    expect(cue).toBe(true)
    await expectPlaying(bo, STARTS)

    // Bo picks the other file: the choice is the room's, so both players switch to it and play it.
    const other = await choices.filter({ hasText: /short\.webm$/ }).getAttribute('value')
    await bo.page.getByTestId('file-choice').selectOption(other ?? '')
    for (const someone of people)
      await expect(someone.page.getByTestId('player-title')).toHaveText('short.webm')
    await expectPlaying(bo, { ...STARTS, past: 0.5 })
    await expect
      .poll(() => bo.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.duration))
      .toBeLessThan(5)
  })
  test('two rooms in two tabs of one browser: only the tab that plays a video answers its requests', async ({
    app,
    chromiumBrowser,
  }) => {
    // Both tabs share one service worker, which asks every tab of the site for the bytes of a stream.
    // Bo drops the video into Ana's room; Ana's first tab streams it, her second tab is in a room of its own.
    // (A WebM would go through MSE, which asks no worker: Ana's browser uses the worker for every file.)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { streamVia: 'worker' })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await ana.context.addInitScript(() => {
      // Registered before the app's listeners: every stream request this tab sees, and what it answers.
      const seen: string[] = []
      const answered: string[] = []
      Object.assign(window, { streamRequests: { seen, answered } })
      navigator.serviceWorker?.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as { type?: string; url?: string } | null
        const port = event.ports[0]
        if (data?.type !== 'webtorrent' || !data.url || !port) return
        seen.push(data.url)
        const post = port.postMessage.bind(port)
        port.postMessage = ((message: unknown, ...rest: [Transferable[]]) => {
          answered.push(data.url as string)
          post(message, ...rest)
        }) as typeof port.postMessage
      })
    })
    await gather(people)
    const other = await ana.context.newPage()
    await other.goto(await createRoom({ ...ana, page: other }))
    const name = other.getByTestId('name-input')
    if (await name.isVisible()) {
      await name.fill('Ana')
      await other.getByTestId('name-save').click()
    }
    await expect(other.getByTestId('magnet-input')).toBeVisible()

    await bo.page.getByTestId('file-input').setInputFiles(await ensureTestVideo())
    await expectPlaying(ana, STARTS)
    const requests = (page: Page) =>
      page.evaluate(
        () =>
          (window as unknown as { streamRequests: { seen: string[]; answered: string[] } }).streamRequests,
      )
    const mine = await requests(ana.page)
    expect(mine.answered.length).toBeGreaterThan(0)
    // The idle tab heard the same requests and left them to the tab that plays (instead of answering "404").
    const theirs = await requests(other)
    expect(theirs.seen).toEqual(expect.arrayContaining(mine.answered.slice(0, 1)))
    expect(theirs.answered).toEqual([])
  })
})
