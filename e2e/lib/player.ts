import { expect } from '@playwright/test'
import type { Person } from './room.ts'

/** What someone's element says, for a failure's message. */
export function stateOf(someone: Person): Promise<string> {
  return someone.page.getByTestId('player').evaluate((v: HTMLVideoElement) => {
    const ranges = Array.from({ length: v.buffered.length }, (_, i) => [
      v.buffered.start(i),
      v.buffered.end(i),
    ])
    const { currentTime, paused, ended, readyState, duration } = v
    return JSON.stringify({ currentTime, paused, ended, readyState, duration, ranges, via: v.dataset.stream })
  })
}

/**
 * The player really plays: it is playing past `past` seconds within `within` ms, and its position then
 * advances. (A joiner may first seek, paused, to the room's position: being past a time alone is not playing.)
 */
export async function expectPlaying(
  someone: Person,
  { past = 1, within = 60_000 }: { past?: number; within?: number } = {},
): Promise<void> {
  const player = someone.page.getByTestId('player')
  const read = () => player.evaluate((v: HTMLVideoElement) => ({ time: v.currentTime, paused: v.paused }))
  await expect
    .poll(async () => ((r) => !r.paused && r.time > past)(await read()), { timeout: within })
    .toBe(true)
  const { time } = await read()
  await expect
    .poll(async () => (await read()).time, { timeout: 10_000, message: await stateOf(someone) })
    .toBeGreaterThan(time)
}
