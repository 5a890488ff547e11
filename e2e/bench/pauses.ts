/**
 * Pauses on one frame (issue 18, point 3), in `bench:sync` after the seek phase: each person in turn pauses
 * the playing room, alternately with the play toggle and on the element (`pause()`, as native controls and
 * the keyboard do). Once every page is paused, not seeking, and reads the same position three times in a row,
 * the spread of the paused positions is taken (latest − earliest): all four pages, and the three unthrottled.
 * Then the same person plays again, and the room plays together before the next pause. BENCH_PAUSES=4 per
 * run (0 skips them).
 */
import type { Page } from '@playwright/test'
import type { Person } from '../lib/room.ts'
import { readVideo } from '../lib/sync.ts'

export const PAUSES = Number(process.env.BENCH_PAUSES ?? 4)
/** One frame at 30 fps: the most two members' paused pictures may differ. */
export const FRAME_MS = 33
const SETTLE_TIMEOUT_MS = 10_000
const POLL_MS = 50
/** Readings in a row that must agree before a page counts as still. */
const STILL_READINGS = 3

export interface PauseResult {
  /** ms, all pages */
  spreadAll: number
  /** ms, the unthrottled pages */
  spreadFast: number
  /** from the action until every page was still, ms */
  settledMs: number
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Positions (s) once every page is paused and still, or null when they are not within the timeout. */
async function stillPositions(pages: readonly Page[]): Promise<number[] | null> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  let last: number[] | null = null
  let agreeing = 0
  while (Date.now() < deadline) {
    const readings = await Promise.all(pages.map(readVideo))
    const positions = readings.map((r) => r.t)
    const still = readings.every((r) => r.paused && !r.seeking)
    agreeing = still && last?.every((t, i) => t === positions[i]) ? agreeing + 1 : still ? 1 : 0
    if (agreeing >= STILL_READINGS) return positions
    last = positions
    await wait(POLL_MS)
  }
  return null
}

const spreadMs = (positions: readonly number[]) => (Math.max(...positions) - Math.min(...positions)) * 1000

/**
 * `pauser` pauses the room, the spread is read once everyone is still, and `pauser` plays again. `pause` is
 * null when the room did not come to rest within the timeout; `resumed` says whether `playingTogether` saw it
 * play in sync again (the pause phase stops when it did not).
 */
export async function pauseOnce(
  pauser: Person,
  pages: readonly Page[],
  fast: number,
  byElement: boolean,
  playingTogether: () => Promise<boolean>,
): Promise<{ pause: PauseResult | null; resumed: boolean }> {
  const acted = Date.now()
  if (byElement) await pauser.page.getByTestId('player').evaluate((v: HTMLVideoElement) => v.pause())
  else await pauser.page.getByTestId('play-toggle').click()
  const positions = await stillPositions(pages)
  const settledMs = Date.now() - acted
  await pauser.page.getByTestId('play-toggle').click()
  const resumed = await playingTogether()
  if (positions === null) return { pause: null, resumed }
  const spreadAll = spreadMs(positions)
  return { pause: { spreadAll, spreadFast: spreadMs(positions.slice(0, fast)), settledMs }, resumed }
}
