/**
 * Helpers for playback-sync tests and the sync benchmark: skewed clocks per person, reading the players, and
 * pairwise drift measured from outside the app, on the real clock, not the skewed app clocks.
 */
import { expect, type Browser, type Page } from '@playwright/test'
import { createRoom, expectMembers, join, person, type Person } from './room.ts'

/** The clock-skew testing aid (docs/sync.md): read by the app once, at start. */
export const CLOCK_SKEW_KEY = 'theatron:clock-skew-ms'

/** A person whose app clock is `skewMs` off (the page's real clock, `performance.timeOrigin`, is not). */
export async function skewedPerson(
  browser: Browser,
  baseURL: string,
  name: string,
  skewMs: number,
): Promise<Person> {
  const someone = await person(browser, baseURL, name)
  await someone.context.addInitScript(([key, skew]) => localStorage.setItem(key, String(skew)), [
    CLOCK_SKEW_KEY,
    skewMs,
  ] as const)
  return someone
}

export interface VideoReading {
  /** media seconds */
  t: number
  /**
   * the reading's instant on the system clock, ms: `performance.timeOrigin + performance.now()`, less the
   * page's measured offset from it (`systemClockOffsetMs`)
   */
  at: number
  paused: boolean
  rate: number
  readyState: number
  seeking: boolean
  /** played to the end: every page there reads the same, which says nothing about sync */
  ended: boolean
}

/**
 * How far the page's epoch (`performance.timeOrigin + performance.now()`) runs ahead of the system clock, ms.
 * Each renderer maps its monotonic clock to the epoch once, on its own, and on a loaded machine those mappings
 * differ by tens of milliseconds: instants of two pages on their own epochs would show a drift the app, which
 * measures its peers' clocks by round trips (sync/clock.ts), does not have. `Date.now()` is one clock for every
 * process. Sampled for 30 ms, so its whole milliseconds fall at every phase of the finer clock and average out
 * (to the same half millisecond on every page); measured once per document and kept in the page.
 */
export function systemClockOffsetMs(page: Page): Promise<number> {
  return page.evaluate(() => {
    const scope = window as unknown as { __systemClockOffsetMs?: number }
    if (scope.__systemClockOffsetMs === undefined) {
      let sum = 0
      let count = 0
      const until = performance.now() + 30
      while (performance.now() < until) {
        sum += performance.timeOrigin + performance.now() - Date.now()
        count++
      }
      scope.__systemClockOffsetMs = sum / count
    }
    return scope.__systemClockOffsetMs
  })
}

/**
 * One reading of the page's player, stamped on the system clock (`systemClockOffsetMs`). The offset is read
 * in the same evaluation when the page has it; the first reading of a document measures it first.
 */
export async function readVideo(page: Page): Promise<VideoReading> {
  const reading = await page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('[data-testid="player"]')
    if (!video) throw new Error('no player')
    const offset = (window as unknown as { __systemClockOffsetMs?: number }).__systemClockOffsetMs
    if (offset === undefined) return null
    return {
      t: video.currentTime,
      at: performance.timeOrigin + performance.now() - offset,
      paused: video.paused,
      rate: video.playbackRate,
      readyState: video.readyState,
      seeking: video.seeking,
      ended: video.ended,
    }
  })
  if (reading !== null) return reading
  await systemClockOffsetMs(page)
  return readVideo(page)
}

/** Where a reading's video is at real instant `at` (ms), assuming it played on at its rate. */
export function positionAt(reading: VideoReading, at: number): number {
  return reading.paused ? reading.t : reading.t + ((at - reading.at) / 1000) * reading.rate
}

/**
 * Reads every page at (nearly) once and extrapolates all to the latest reading's instant. Returns the drift
 * of each page against the first, ms, and the largest pairwise difference (the room's spread).
 */
export async function measureDrift(
  pages: Page[],
): Promise<{ drifts: number[]; spread: number; readings: VideoReading[] }> {
  const readings = await Promise.all(pages.map(readVideo))
  const at = Math.max(...readings.map((r) => r.at))
  const positions = readings.map((r) => positionAt(r, at))
  const drifts = positions.map((p) => (p - positions[0]!) * 1000)
  return { drifts, spread: Math.max(...drifts) - Math.min(...drifts), readings }
}

/** Room spread, or Infinity while some player is seeking, stalled, not loaded or at the end (not comparable). */
export async function spreadMs(pages: Page[]): Promise<number> {
  const { spread, readings } = await measureDrift(pages)
  return readings.some((r) => r.seeking || r.readyState < 3 || r.ended) ? Infinity : spread
}

/** Polls until every page's video has its data and the sync controller runs. */
export async function expectVideoReady(people: Person[], timeout = 30_000): Promise<void> {
  for (const someone of people) {
    await expect
      .poll(async () => (await readVideo(someone.page)).readyState, { timeout })
      .toBeGreaterThanOrEqual(3)
    await expect(someone.page.getByTestId('playback-controls')).toHaveAttribute('data-ready', 'true', {
      timeout,
    })
  }
}

/** The playback controller's correction counters (`window.__theatron.playback`). */
export function counters(
  page: Page,
): Promise<{ seeks: number; rateChanges: number; plays: number; pauses: number; commands: number }> {
  return page.evaluate(() => {
    const scope = window as unknown as {
      __theatron?: {
        playback?: {
          counters(): { seeks: number; rateChanges: number; plays: number; pauses: number; commands: number }
        }
      }
    }
    const playback = scope.__theatron?.playback
    if (!playback) throw new Error('no playback store')
    return playback.counters()
  })
}

/**
 * What a page's playback store took for its person's actions on the element (`window.__theatron.playback`):
 * anything there that no person did is an element event that became a room command.
 */
export function userActions(page: Page): Promise<{ type: string }[]> {
  return page.evaluate(() => {
    const scope = window as unknown as { __theatron?: { playback?: { userActions(): { type: string }[] } } }
    const playback = scope.__theatron?.playback
    if (!playback) throw new Error('no playback store')
    return playback.userActions()
  })
}

/** Whose clock the room's shared time is in, as a page's playback store sees it (a peer id). */
export function playbackFrame(page: Page): Promise<string> {
  return page.evaluate(() => {
    const scope = window as unknown as { __theatron?: { playback?: { frame(): string } } }
    const playback = scope.__theatron?.playback
    if (!playback) throw new Error('no playback store')
    return playback.frame()
  })
}

/** Starve a person's player for `ms` (the e2e build's testing hook, see client/src/lib/testing/stall.ts). */
export async function simulateStall(page: Page, ms: number): Promise<void> {
  const ok = await page.evaluate((duration) => {
    const scope = window as unknown as { __theatron?: { playback?: { simulateStall(ms: number): boolean } } }
    return scope.__theatron?.playback?.simulateStall(duration) ?? false
  }, ms)
  expect(ok).toBe(true)
}

/**
 * A room of people (the first creates it) watching the test video: the first drops the file on
 * `file-input`, it streams to the others as a torrent.
 */
export async function roomWatching(people: Person[], videoPath: string, route?: string): Promise<string> {
  const [host] = people
  if (!host) throw new Error('nobody')
  const link = await createRoom(host, route)
  for (const someone of people) await join(someone, link)
  // Explicit timeouts: the benchmark runs outside the test runner (5 s default) on a busy machine.
  await expectMembers(
    people,
    people.map((p) => p.name),
    20_000,
  )
  await host.page.getByTestId('file-input').setInputFiles(videoPath)
  for (const someone of people)
    await expect(someone.page.getByTestId('playlist-item')).toHaveCount(1, { timeout: 20_000 })
  await expectVideoReady(people)
  return link
}
