/**
 * Streaming a dropped film before it is hashed (docs/streaming.md, "Streaming before the torrent exists"): the
 * item goes out at once, the others read its bytes from the dropper over their link to her, and when the
 * torrent comes their players read on through it, in sync, without a restart. The dropper's hashing is held
 * back by a test hook (`holdSeeding`) so that the item has no info hash while the others start.
 */
import type { JSHandle, Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { gather, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { spreadMs } from '../lib/sync.ts'
import { derivedVideo, ensureTestVideo } from '../scripts/make-test-video.ts'
import { testMp4 } from '../scripts/make-test-mp4.ts'

test.setTimeout(180_000)

/** The playback-sync target (docs/sync.md). */
const SYNC_MS = 25

/** The element's source (its path, and which attach it is: `data-source`) and position. */
function playerState(
  someone: Person,
): Promise<{ via: string | undefined; source: string | undefined; time: number }> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => ({
    via: v.dataset.stream,
    source: v.dataset.source,
    time: v.currentTime,
  }))
}

/** Holds the page's seeding after its hashing; the handle releases it. */
function holdSeeding(page: Page): Promise<JSHandle<() => void>> {
  return page.evaluateHandle(() => {
    const hooks = (window as unknown as { __theatron?: { torrent?: { holdSeeding(): () => void } } })
      .__theatron?.torrent
    if (!hooks) throw new Error('no torrent hook: is this the e2e build?')
    return hooks.holdSeeding()
  })
}

/** How many pieces read from an owner this page's torrent took in (its `torrent:adopt` trace marks, e2e build). */
function piecesAdopted(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      performance
        .getEntriesByName('theatron:trace:torrent:adopt')
        .filter((mark) => (mark as PerformanceMark).detail?.result === 'adopted').length,
  )
}

/** Whether the page has fetched the module that reads an MP4's index (its chunk is named after it). */
function indexReaderLoaded(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    performance.getEntriesByType('resource').some((entry) => /\/mp4-movie-[^/]*\.js$/.test(entry.name)),
  )
}

/** The details of this page's trace marks of a step (e2e build). */
function marks(page: Page, step: string): Promise<Record<string, unknown>[]> {
  return page.evaluate(
    (name) =>
      performance
        .getEntriesByName(`theatron:trace:${name}`)
        .map((mark) => (mark as PerformanceMark).detail as Record<string, unknown>),
    step,
  )
}

/** The MP4 the last two tests drop: 960 s, ~38 MB, `moov` after the media data as ffmpeg writes it. */
const moovAtEnd = () =>
  testMp4('h264-aac-20s-x48-moov-end.mp4', { seconds: 20, codec: 'h264', moov: 'end', loops: 48 })

/** How many links to an owner this page has made (its `range:link` trace marks, e2e build). */
function linksMade(page: Page): Promise<number> {
  return page.evaluate(() => performance.getEntriesByName('theatron:trace:range:link').length)
}

test.describe('sharing a film before it is hashed', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('the others play it from the dropper at once, then through its torrent, in sync', async ({
    app,
    chromiumBrowser,
  }) => {
    // 900 s, ~38 MB: the test video 45 times over, above the size that is shared before it is hashed.
    const film = await derivedVideo('long-x45.webm', { input: ['-stream_loop', '44'] })
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { shareEarly: true })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    await gather(people)
    const release = await holdSeeding(ana.page)
    await ana.page.getByTestId('file-input').setInputFiles(film)

    // The item is there for everyone before it has a torrent, and the others play it from Ana.
    for (const someone of people) {
      const item = someone.page.getByTestId('playlist-item')
      await expect(item).toHaveCount(1)
      await expect(item).toHaveAttribute('data-kind', 'local')
    }
    await expectPlaying(bo)
    await expectPlaying(cy)
    const before = await playerState(bo)
    expect(before.via).toBe('mse')
    expect(before.source).toMatch(/^\d+$/)
    await expect(bo.page.getByTestId('playlist-item')).toHaveAttribute('data-info-hash', '')
    const pages = people.map((someone) => someone.page)
    await expect.poll(() => spreadMs(pages), { timeout: 20_000 }).toBeLessThanOrEqual(SYNC_MS)

    // Cy, not the owner, says the item is some other torrent: nobody takes it.
    await cy.page.evaluate(() => {
      const hooks = (window as unknown as { __theatron?: { room?: { sendRaw(text: string): void } } })
        .__theatron?.room
      const self = (JSON.parse(sessionStorage.getItem('theatron:peer') ?? '{}') as { peerId: string }).peerId
      const id = document.querySelector('[data-testid="playlist-item"]')?.getAttribute('data-id')
      const infoHash = '0123456789abcdef0123456789abcdef01234567'
      hooks?.sendRaw(
        JSON.stringify({
          v: 1,
          type: 'feature',
          feature: 'playlist',
          body: {
            type: 'ready',
            stamp: { counter: 1000, peer: self },
            id,
            torrent: { torrentId: `magnet:?xt=urn:btih:${infoHash}`, infoHash, title: 'forged' },
          },
        }),
      )
    })

    // The hashing ends: the item gains its torrent, and Bo's player reads on through it without a restart.
    await release.evaluate((done) => done())
    for (const someone of people)
      await expect(someone.page.getByTestId('playlist-item')).toHaveAttribute(
        'data-info-hash',
        /^[0-9a-f]{40}$/,
        { timeout: 60_000 },
      )
    const infoHash = await bo.page.getByTestId('playlist-item').getAttribute('data-info-hash')
    expect(infoHash).not.toBe('0123456789abcdef0123456789abcdef01234567')
    await expect(bo.page.getByTestId('playlist-item')).toHaveAttribute('data-kind', 'torrent')
    // A seek far into the film at once: Bo's torrent has only the film's start, so his player reads on from
    // Ana, and each whole piece she sends goes to his torrent too, checked against its hash, so the torrent
    // does not download it again (torrent/adopt.ts).
    expect(await piecesAdopted(bo.page)).toBe(0)
    await ana.page.getByTestId('seek-bar').fill('810')
    await expectPlaying(bo, { past: 810 })
    await expect.poll(() => piecesAdopted(bo.page), { timeout: 20_000 }).toBeGreaterThan(0)
    await expect
      .poll(async () => Number(await bo.page.getByTestId('playlist-item').getAttribute('data-downloaded')), {
        timeout: 60_000,
      })
      .toBeGreaterThan(0)
    const after = await playerState(bo)
    expect(after.source).toBe(before.source)
    expect(after.time).toBeGreaterThan(before.time)
    await expectPlaying(bo, { past: after.time })
    await expect.poll(() => spreadMs(pages), { timeout: 20_000 }).toBeLessThanOrEqual(SYNC_MS)
    await expect(bo.page.getByTestId('player-error')).toHaveCount(0)

    // A second film dropped while the first plays joins the playlist unselected; the others link with Ana for
    // it at once, so whoever selects it does not wait for the connection (stream/early-links.ts).
    const second = await derivedVideo('long-x46.webm', { input: ['-stream_loop', '45'] })
    const links = await Promise.all([bo, cy].map((someone) => linksMade(someone.page)))
    const releaseSecond = await holdSeeding(ana.page)
    await ana.page.getByTestId('file-input').setInputFiles(second)
    for (const [i, someone] of [bo, cy].entries()) {
      const item = someone.page.getByTestId('playlist-item').nth(1)
      await expect(item).toHaveAttribute('data-kind', 'local')
      await expect.poll(() => linksMade(someone.page)).toBeGreaterThan(links[i] as number)
      await expect(item).toHaveAttribute('data-selected', 'false')
    }
    await releaseSecond.evaluate((done) => done())

    // An MP4 joins the playlist, unselected: the others load what reads its index (mp4box) now, so that a
    // start does not wait for the module after the index is in (streaming.svelte.ts `#warmUp`).
    const mp4 = await testMp4('h264-aac-20s-moov-end.mp4', { seconds: 20, codec: 'h264', moov: 'end' })
    for (const someone of [bo, cy]) expect(await indexReaderLoaded(someone.page)).toBe(false)
    await ana.page.getByTestId('file-input').setInputFiles(mp4)
    for (const someone of [bo, cy]) {
      const item = someone.page.getByTestId('playlist-item').nth(2)
      await expect(item).toHaveAttribute('data-selected', 'false')
      await expect.poll(() => indexReaderLoaded(someone.page)).toBe(true)
    }
    // Ana plays her own file, not through MSE: she has no use for it.
    expect(await indexReaderLoaded(ana.page)).toBe(false)
  })

  test('an MP4 with its index at the end: the others ask for the index first, where Ana says it is', async ({
    app,
    chromiumBrowser,
  }) => {
    // Shared before it is hashed, and played at once.
    const film = await moovAtEnd()
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { shareEarly: true })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    const release = await holdSeeding(ana.page)
    await ana.page.getByTestId('file-input').setInputFiles(film)
    await expect(bo.page.getByTestId('playlist-item')).toHaveAttribute('data-kind', 'local')
    await expectPlaying(bo)
    expect((await playerState(bo)).via).toBe('mse')

    // Bo's first request was the tail from where Ana's item says the index starts, and his head agreed.
    const tailFirst = await marks(bo.page, 'mp4:tail-first')
    expect(tailFirst).toHaveLength(1)
    const start = tailFirst[0]?.start
    expect(start).toBeGreaterThan(30_000_000)
    expect((await marks(bo.page, 'range:get'))[0]?.start).toBe(start)
    expect(await marks(bo.page, 'mp4:located')).toEqual([
      expect.objectContaining({ kind: 'tail', hinted: true }),
    ])
    await expect(bo.page.getByTestId('player-error')).toHaveCount(0)
    await release.evaluate((done) => done())
  })

  test('an MP4 listed before anyone plays it: the others read its index and head first, and start from them', async ({
    app,
    chromiumBrowser,
  }) => {
    const film = await moovAtEnd()
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { shareEarly: true })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    // Something plays, so the film joins the playlist unselected.
    await ana.page.getByTestId('file-input').setInputFiles(await ensureTestVideo())
    await expectPlaying(bo)
    const release = await holdSeeding(ana.page)
    await ana.page.getByTestId('file-input').setInputFiles(film)
    const item = bo.page.getByTestId('playlist-item').nth(1)
    await expect(item).toHaveAttribute('data-kind', 'local')
    await expect(item).toHaveAttribute('data-selected', 'false')

    // Bo reads the tail (where Ana's item says the index is), then the first mebibyte, and holds them.
    await expect.poll(async () => (await marks(bo.page, 'range:warm')).length).toBe(2)
    const [tail, head] = await marks(bo.page, 'range:warm')
    expect(tail?.start).toBeGreaterThan(30_000_000)
    expect(head).toEqual({ start: 0, bytes: 1024 * 1024 })
    await expect
      .poll(() => marks(bo.page, 'range:warmed'))
      .toEqual([
        { start: tail?.start, bytes: tail?.bytes },
        { start: 0, bytes: 1024 * 1024 },
      ])
    const asked = (await marks(bo.page, 'range:get')).length

    // Selected, it plays from them: the index and the head come from what Bo holds, not from Ana again.
    await item.getByTestId('playlist-select').click()
    await expect
      .poll(() => bo.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.duration))
      .toBeGreaterThan(900)
    await expectPlaying(bo)
    expect((await playerState(bo)).via).toBe('mse')
    // Each span whole, in one read or in a read per torrent span it crosses (prefer-torrent.ts).
    const held = await marks(bo.page, 'range:held')
    expect(held.every((mark) => mark.taken === true)).toBe(true)
    const heldFrom = (start: unknown) =>
      held.filter((mark) => mark.start === start).reduce((sum, mark) => sum + Number(mark.bytes), 0)
    expect(heldFrom(tail?.start)).toBe(tail?.bytes)
    expect(heldFrom(0)).toBe(1024 * 1024)
    const after = (await marks(bo.page, 'range:get')).slice(asked)
    expect(after.length).toBeGreaterThan(0)
    expect(
      after.every((get) => Number(get.start) >= 1024 * 1024 && Number(get.start) < Number(tail?.start)),
    ).toBe(true)
    await expect(bo.page.getByTestId('player-error')).toHaveCount(0)
    await release.evaluate((done) => done())
  })
})
