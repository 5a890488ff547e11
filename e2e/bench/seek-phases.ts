/**
 * Where a seek's time goes, on each page, from the person's action: the app's own steps (performance marks
 * `theatron:sync:<step>` the e2e build sets, sync/session.ts `SyncTraceStep`) and the element's events
 * (`seeking`, `seeked`, `canplay`, `playing`, with the event's own time stamp), each the first after the
 * action (`act:seek`: a correction seek after the resume). `bench:sync` clears both before every seek and
 * prints them after it converged.
 */
import type { Page } from '@playwright/test'

/** In the order a seek goes through them. */
export const SEEK_STEPS = [
  'command:seek',
  'act:hold',
  'seeking',
  'seeked',
  'canplay',
  'ready',
  'command:release',
  'act:play',
  'playing',
  'act:seek',
] as const

export type SeekStep = (typeof SEEK_STEPS)[number]

/** ms after the action each step was first seen on one page; missing: not seen. */
export type SeekPhases = Partial<Record<SeekStep, number>>

/** An init script: records the player's media events with their own time stamps (real clock ms). */
export const SEEK_PROBE = `(() => {
  window.__benchMediaEvents = []
  for (const type of ['seeking', 'seeked', 'canplay', 'playing'])
    document.addEventListener(type, (event) => {
      if (event.target instanceof HTMLVideoElement)
        window.__benchMediaEvents.push({ type, at: performance.timeOrigin + event.timeStamp })
    }, true)
})()`

/** Forgets what the page saw so far: the next `seekPhases` sees only what comes after. */
export async function clearSeekTrace(page: Page): Promise<void> {
  await page.evaluate(() => {
    ;(window as unknown as { __benchMediaEvents?: unknown[] }).__benchMediaEvents = []
    for (const mark of performance.getEntriesByType('mark'))
      if (mark.name.startsWith('theatron:sync:')) performance.clearMarks(mark.name)
  })
}

/** Each step's first time at or after `since` (real clock ms), as ms after it. */
export async function seekPhases(page: Page, since: number): Promise<SeekPhases> {
  const seen = await page.evaluate(() => {
    const events = (window as unknown as { __benchMediaEvents?: { type: string; at: number }[] })
      .__benchMediaEvents
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('theatron:sync:'))
      .map((m) => ({ type: m.name.slice('theatron:sync:'.length), at: performance.timeOrigin + m.startTime }))
    return [...(events ?? []), ...marks]
  })
  const phases: SeekPhases = {}
  for (const { type, at } of seen.sort((a, b) => a.at - b.at)) {
    if (at < since - 5 || !(SEEK_STEPS as readonly string[]).includes(type)) continue
    const step = type as SeekStep
    phases[step] ??= Math.max(0, Math.round(at - since))
  }
  return phases
}

/** One line per page: `name: step ms, …`. */
export function formatSeekPhases(names: readonly string[], phases: readonly SeekPhases[]): string {
  return phases
    .map((p, i) => `${names[i]}: ${SEEK_STEPS.map((s) => `${s} ${p[s] ?? '–'}`).join(', ')}`)
    .join('\n      ')
}

/**
 * Over many seeks, the median of each step's latest page (the room waits for the last member), for the
 * pages given by index.
 */
export function medianSeekPhases(seeks: readonly SeekPhases[][], pages: readonly number[]): string {
  return SEEK_STEPS.map((step) => {
    const latest = seeks
      .map((perPage) => pages.map((i) => perPage[i]?.[step]))
      .filter((values) => values.every((v) => v !== undefined))
      .map((values) => Math.max(...(values as number[])))
      .sort((a, b) => a - b)
    const median = latest.length === 0 ? '–' : String(latest[Math.floor(latest.length / 2)])
    return `${step} ${median}`
  }).join(', ')
}
