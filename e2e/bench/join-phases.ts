/**
 * Where a late joiner's time goes: the page's join and streaming marks (client/src/lib/testing/join-trace.ts,
 * `theatron:stream:*` in stream/streaming.svelte.ts) as real ms since the person opened the link, and their
 * medians over several joins.
 */
import type { Page } from '@playwright/test'

/** The steps in the order a join passes them; `page` is the navigation's response (the HTML arrived). */
export const JOIN_STEPS = [
  'page',
  'connect',
  'app',
  'started',
  'signaling',
  'link',
  'authority',
  'playlist',
  'add',
  'clock',
  'webrtc',
  'metadata',
  'bytes',
  'stream',
  'canplay',
  'playing',
] as const

export type JoinPhases = Partial<Record<(typeof JOIN_STEPS)[number], number>>

/** Each step's real time (the page's `timeOrigin` + the mark) minus `opened` (Date.now() at the click), ms. */
export async function joinPhases(page: Page, opened: number): Promise<JoinPhases> {
  const marks = await page.evaluate(() => {
    const found: Record<string, number> = {}
    const navigation = performance.getEntriesByType('navigation')[0] as
      PerformanceNavigationTiming | undefined
    if (navigation) found['page'] = performance.timeOrigin + navigation.responseEnd
    for (const mark of performance.getEntriesByType('mark')) {
      const step = /^theatron:(?:join|stream):([a-z]+)/.exec(mark.name)?.[1]
      if (step && !(step in found)) found[step] = performance.timeOrigin + mark.startTime
    }
    return found
  })
  const phases: JoinPhases = {}
  for (const step of JOIN_STEPS) {
    const at = marks[step]
    if (at !== undefined) phases[step] = Math.round(at - opened)
  }
  return phases
}

export function formatPhases(phases: JoinPhases): string {
  return JOIN_STEPS.filter((step) => phases[step] !== undefined)
    .map((step) => `${step} ${phases[step]}`)
    .join(', ')
}

/** Per step, the median over the joins that reached it. */
export function medianPhases(all: readonly JoinPhases[]): JoinPhases {
  const medians: JoinPhases = {}
  for (const step of JOIN_STEPS) {
    const values = all.flatMap((p) => (p[step] === undefined ? [] : [p[step]])).sort((a, b) => a - b)
    if (values.length > 0) medians[step] = values[Math.floor(values.length / 2)]!
  }
  return medians
}
