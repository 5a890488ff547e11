/**
 * `bench:sync`'s starvation section: a buffering hold caused by real starvation, not `simulateStall`. The first
 * person drops the video with its upload capped (`window.__theatron.torrent.throttleUpload`, the e2e build's
 * hook on its torrent client) a little above the video's bitrate, so the others stream it just ahead of
 * playback; once the room plays together, the cap drops to `STARVE_BPS` and the others run dry: the room holds
 * (pre-emptively from the download rate, or on the stall). The benchmark then lifts the cap — the data is
 * back — and measures, from each page's own `playing` event (`performance.timeOrigin + event.timeStamp`):
 *
 * - the hold → resume spread: the latest minus the earliest member's resume, the three unthrottled pages and
 *   all four;
 * - data back → playing: from lifting the cap until the last member plays.
 *
 * Knobs: BENCH_STARVE=0 skips the section; BENCH_STARVE_START=1.25 (the cap before, × the video's bitrate);
 * BENCH_STARVE_BPS=1000 (the cap that starves).
 */
import { stat } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { createRoom, expectMembers, join, type Person } from '../lib/room.ts'
import { expectVideoReady, readVideo } from '../lib/sync.ts'
import { TEST_VIDEO_PARAMS } from '../scripts/make-test-video.ts'

export const STARVE = process.env.BENCH_STARVE !== '0'
const START_FACTOR = Number(process.env.BENCH_STARVE_START ?? 1.25)
const STARVE_BPS = Number(process.env.BENCH_STARVE_BPS ?? 1000)
const HOLD_TIMEOUT_MS = 20_000
const RESUME_TIMEOUT_MS = 20_000
const POLL_MS = 50

/** Records every `playing` event's real time, from page load (an init script). */
export const PLAYING_PROBE = `(() => {
  window.__benchPlaying = []
  document.addEventListener('playing', (event) => window.__benchPlaying.push(performance.timeOrigin + event.timeStamp), true)
})()`

export interface StarvationResult {
  /** null: not measured (the room did not hold, or reached the end first); the reason then */
  measured: {
    /** latest − earliest resume, the unthrottled pages / all pages, ms */
    spreadFast: number
    spreadAll: number
    /** lifting the cap → the last member plays, ms */
    dataBackToPlaying: number
    /** starving → the room held, ms */
    starvedToHold: number
  } | null
  reason?: string
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function throttleUpload(page: Page, bytesPerSecond: number | null): Promise<void> {
  await page.evaluate((bps) => {
    const hooks = (
      window as unknown as { __theatron?: { torrent?: { throttleUpload(bps: number | null): void } } }
    ).__theatron?.torrent
    if (!hooks) throw new Error('no torrent hook: not the e2e build')
    hooks.throttleUpload(bps)
  }, bytesPerSecond)
}

async function held(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const playback = (window as unknown as { __theatron: { playback: { timeline(): { held: boolean } } } })
      .__theatron.playback
    return playback.timeline().held
  })
}

async function playingSince(page: Page, since: number): Promise<number | null> {
  const events = await page.evaluate(
    () => (window as unknown as { __benchPlaying?: number[] }).__benchPlaying ?? [],
  )
  return events.find((at) => at >= since) ?? null
}

/**
 * One starved hold in a fresh room of `people` (made by the caller, PLAYING_PROBE installed; `fast`: how many
 * of them, from the first, are unthrottled). `converged(pages)` waits until the pages play together.
 */
export async function starvation(
  people: Person[],
  fast: number,
  video: string,
  converged: (pages: Page[]) => Promise<number | null>,
  log: (line: string) => void,
): Promise<StarvationResult> {
  const [seeder] = people
  if (!seeder) throw new Error('nobody')
  const pages = people.map((p) => p.page)
  const bitrate = (await stat(video)).size / TEST_VIDEO_PARAMS.seconds
  const link = await createRoom(seeder)
  for (const someone of people) await join(someone, link)
  await expectMembers(
    people,
    people.map((p) => p.name),
    20_000,
  )
  await throttleUpload(seeder.page, Math.round(bitrate * START_FACTOR))
  await seeder.page.getByTestId('file-input').setInputFiles(video)
  await expectVideoReady(people)
  if ((await converged(pages.slice(0, fast))) === null)
    return { measured: null, reason: 'never played together' }
  const starved = Date.now()
  await throttleUpload(seeder.page, STARVE_BPS)
  let heldAt: number | null = null
  while (Date.now() - starved < HOLD_TIMEOUT_MS) {
    if (await held(pages[0]!)) {
      heldAt = Date.now()
      break
    }
    if ((await readVideo(pages[0]!)).ended) break
    await pause(POLL_MS)
  }
  if (heldAt === null) {
    await throttleUpload(seeder.page, null)
    return {
      measured: null,
      reason: `no hold within ${HOLD_TIMEOUT_MS} ms of starving (or the end came first)`,
    }
  }
  // Every member stands paused on the held frame before the data comes back.
  while (!(await Promise.all(pages.map(readVideo))).every((r) => r.paused) && Date.now() - heldAt < 5_000)
    await pause(POLL_MS)
  const dataBack = Date.now()
  await throttleUpload(seeder.page, null)
  let resumed: (number | null)[] = []
  while (Date.now() - dataBack < RESUME_TIMEOUT_MS) {
    resumed = await Promise.all(pages.map((page) => playingSince(page, dataBack)))
    if (resumed.every((at) => at !== null)) break
    await pause(POLL_MS)
  }
  if (!resumed.every((at) => at !== null))
    return { measured: null, reason: `not all playing ${RESUME_TIMEOUT_MS} ms after the data came back` }
  const times = resumed as number[]
  const spread = (values: number[]) => Math.max(...values) - Math.min(...values)
  const measured = {
    spreadFast: spread(times.slice(0, fast)),
    spreadAll: spread(times),
    dataBackToPlaying: Math.max(...times) - dataBack,
    starvedToHold: heldAt - starved,
  }
  log(
    `  starved hold: held ${measured.starvedToHold} ms after starving; data back → all playing ` +
      `${Math.round(measured.dataBackToPlaying)} ms; resume spread ${measured.spreadFast.toFixed(1)} ms ` +
      `(all four ${measured.spreadAll.toFixed(1)} ms)`,
  )
  return { measured }
}
