/**
 * Pieces on disk (torrent/piece-store.ts, docs/streaming.md "Storage"): a member who reloads mid-stream
 * resumes from the pieces their browser stored, an item leaving the playlist frees them; and a subtitle file
 * dropped on its own while an item plays reaches every member as a track.
 */
import { stat } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { test, expect } from '../lib/fixtures.ts'
import { createRoom, enterName, expectMembers, gather, join, person, type Person } from '../lib/room.ts'
import { expectPlaying } from '../lib/player.ts'
import { ensureTestVideo, longTestVideo } from '../scripts/make-test-video.ts'

/** What these tests take as playing: past half a second, within 30 s. */
const STARTS = { past: 0.5, within: 30_000 }

test.setTimeout(120_000)

/** A number from the playlist item's data attributes (downloaded, received, peers). */
function itemNumber(page: Page, attribute: string): Promise<number> {
  return page
    .getByTestId('playlist-item')
    .first()
    .getAttribute(`data-${attribute}`)
    .then((value) => Number(value ?? 0))
}

/** The pieces of a torrent in this browser's IndexedDB store (0 before the app made the database). */
function storedPieces(page: Page, infoHash: string): Promise<number> {
  return page.evaluate(async (hash) => {
    const names = (await indexedDB.databases()).map((d) => d.name)
    if (!names.includes('theatron-pieces')) return 0
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('theatron-pieces')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    try {
      const range = IDBKeyRange.bound([hash, 0], [hash, Infinity])
      return await new Promise<number>((resolve, reject) => {
        const req = db.transaction('pieces').objectStore('pieces').count(range)
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
    } finally {
      db.close()
    }
  }, infoHash)
}

/** The pieces a member's torrent found stored from before and true (the `resume` mark), or null. */
function resumeOf(page: Page, infoHash: string): Promise<{ pieces: number; bytes: number } | null> {
  return page.evaluate(
    (hash) =>
      (performance.getEntriesByName(`theatron:stream:resume:${hash}`)[0] as PerformanceMark | undefined)
        ?.detail ?? null,
    infoHash,
  )
}

test.describe('storage', () => {
  let people: Person[] = []
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
  })

  test('a member who reloads resumes from stored pieces; removing the item frees them', async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await longTestVideo()
    const { size } = await stat(video)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(video)
    const item = bo.page.getByTestId('playlist-item')
    await expect(item).toHaveCount(1)
    const infoHash = (await item.getAttribute('data-info-hash')) ?? ''
    await expectPlaying(bo, STARTS)
    // Bo's pieces reach his disk, not only his page: more than half the file, then he reloads.
    await expect.poll(() => storedPieces(bo.page, infoHash), { timeout: 60_000 }).toBeGreaterThan(0)
    await expect.poll(() => itemNumber(bo.page, 'downloaded'), { timeout: 60_000 }).toBeGreaterThan(size / 2)
    await expect.poll(() => storedPieces(bo.page, infoHash), { timeout: 30_000 }).toBeGreaterThan(4)
    const before = await storedPieces(bo.page, infoHash)

    await bo.page.reload()
    await expectMembers(people, ['Ana', 'Bo'])
    await expectPlaying(bo, STARTS)
    // His torrent started with the stored pieces (each checked against its SHA-1) and fetched only the rest.
    const resumed = await resumeOf(bo.page, infoHash)
    expect(resumed?.pieces, 'Bo resumed from his stored pieces').toBeGreaterThanOrEqual(before)
    await expect
      .poll(() => itemNumber(bo.page, 'downloaded'), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(size)
    const received = await itemNumber(bo.page, 'received')
    expect(received, `received ${received} of ${size} bytes after resuming ${resumed?.bytes}`).toBeLessThan(
      size - (resumed?.bytes ?? 0) / 2,
    )

    // Ana removes the item: Bo's browser deletes its pieces.
    await ana.page.getByTestId('playlist-remove').first().click()
    await expect(bo.page.getByTestId('playlist-item')).toHaveCount(0)
    await expect.poll(() => storedPieces(bo.page, infoHash), { timeout: 30_000 }).toBe(0)
  })

  test('a subtitle file dropped on its own while an item plays becomes a track for everyone', async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await ensureTestVideo()
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    people = [ana, bo]
    await gather(people)
    await ana.page.getByTestId('file-input').setInputFiles(video)
    await expectPlaying(bo, STARTS)
    const srt = '1\r\n00:00:00,500 --> 00:00:30,000\r\nHello from Ana\r\n'
    await ana.page
      .getByTestId('file-input')
      .setInputFiles({ name: 'film.en.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(srt) })
    for (const someone of people) {
      const track = someone.page.getByTestId('player').locator('track')
      await expect(track).toHaveCount(1)
      await expect(track).toHaveAttribute('label', 'English')
      // The browser parsed it: the cue is there once the track is shown.
      const cues = await someone.page.getByTestId('player').evaluate(async (v: HTMLVideoElement) => {
        const track = v.textTracks[0]
        if (!track) return []
        track.mode = 'showing'
        const element = v.querySelector('track')
        if (element && element.readyState !== 2)
          await new Promise((resolve) => element.addEventListener('load', resolve, { once: true }))
        return Array.from(track.cues ?? [], (cue) => (cue as VTTCue).text)
      })
      expect(cues, someone.name).toEqual(['Hello from Ana'])
    }
    // Nothing else was added: the subtitle went to the playing item.
    await expect(bo.page.getByTestId('playlist-item')).toHaveCount(1)
  })

  test('two tabs of one browser share a torrent: one leaving it does not delete it under the other', async ({
    app,
    chromiumBrowser,
  }) => {
    // Four pages on two cores, two downloads and a reload.
    test.slow()
    // Bo has two tabs: one in Ana's room, one in Cy's. Ana and Cy drop the same file: one torrent.
    const video = await ensureTestVideo()
    const { size } = await stat(video)
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana')
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo')
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy')
    people = [ana, bo, cy]
    await gather([ana, bo])
    const second: Person = { ...bo, page: await bo.context.newPage() }
    const otherRoom = await createRoom(cy)
    await join(cy, otherRoom)
    await second.page.goto(otherRoom)
    const name = second.page.getByTestId('name-input')
    if (await name.isVisible()) await enterName(second)
    await expectMembers([cy, second], ['Cy', 'Bo'])

    await ana.page.getByTestId('file-input').setInputFiles(video)
    await cy.page.getByTestId('file-input').setInputFiles(video)
    const infoHash = (await bo.page.getByTestId('playlist-item').getAttribute('data-info-hash')) ?? ''
    await expect(second.page.getByTestId('playlist-item')).toHaveAttribute('data-info-hash', infoHash)
    for (const tab of [bo, second])
      await expect
        .poll(() => itemNumber(tab.page, 'downloaded'), { timeout: 90_000 })
        .toBeGreaterThanOrEqual(size)
    await expect.poll(() => storedPieces(bo.page, infoHash), { timeout: 30_000 }).toBeGreaterThan(4)

    // Ana removes it from her room: Bo's first tab lets go of it, his second still holds it.
    await ana.page.getByTestId('playlist-remove').first().click()
    await expect(bo.page.getByTestId('playlist-item')).toHaveCount(0)
    const holders = () =>
      bo.page.evaluate(
        async (hash) =>
          (await navigator.locks.query()).held?.filter((l) => l.name === `theatron:pieces:${hash}`).length ??
          0,
        infoHash,
      )
    await expect.poll(holders).toBe(1)
    // The second tab reloads and resumes from the pieces: they were not deleted under it.
    await second.page.reload()
    await expect(second.page.getByTestId('playlist-item')).toHaveCount(1)
    await expect
      .poll(() => resumeOf(second.page, infoHash), { timeout: 30_000 })
      .toMatchObject({
        pieces: expect.any(Number),
      })
    expect((await resumeOf(second.page, infoHash))?.pieces).toBeGreaterThan(4)

    // Cy removes it too: nobody holds it any more, and its pieces go.
    await cy.page.getByTestId('playlist-remove').first().click()
    await expect(second.page.getByTestId('playlist-item')).toHaveCount(0)
    await expect.poll(() => storedPieces(second.page, infoHash), { timeout: 30_000 }).toBe(0)
  })
})
