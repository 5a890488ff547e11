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
  'mesh',
  'link',
  'authority',
  'playlist',
  'add',
  'clock',
  'webrtc',
  'metadata',
  'head',
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

/**
 * An init script for a joiner (BENCH_TRACE=1): records the player's media events with their own time stamps
 * (real clock ms), the element's position and rate then, to bisect the first `canplay` → in sync step.
 */
export const JOIN_EVENTS_PROBE = `(() => {
  window.__benchJoinEvents = []
  for (const type of ['loadedmetadata', 'seeking', 'seeked', 'canplay', 'playing', 'waiting', 'pause', 'ratechange'])
    document.addEventListener(type, (event) => {
      const video = event.target
      if (video instanceof HTMLVideoElement)
        window.__benchJoinEvents.push({ type, at: performance.timeOrigin + event.timeStamp, t: video.currentTime, rate: video.playbackRate })
    }, true)
})()`

/** The joiner's media events and `theatron:sync:*` marks, in order, as `+ms type@position×rate` from `opened`. */
export async function joinEvents(page: Page, opened: number): Promise<string> {
  const seen = await page.evaluate(() => {
    const events =
      (window as unknown as { __benchJoinEvents?: { type: string; at: number; t?: number; rate?: number }[] })
        .__benchJoinEvents ?? []
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('theatron:sync:'))
      .map((m) => ({ type: m.name.slice('theatron:'.length), at: performance.timeOrigin + m.startTime }))
    return [...events, ...marks] as { type: string; at: number; t?: number; rate?: number }[]
  })
  return seen
    .sort((a, b) => a.at - b.at)
    .map(({ type, at, t, rate }) => {
      const where = t === undefined ? '' : `@${t.toFixed(3)}×${rate?.toFixed(2)}`
      return `+${Math.round(at - opened)} ${type}${where}`
    })
    .join(' ')
}
