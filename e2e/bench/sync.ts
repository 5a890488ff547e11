/**
 * `npm run bench:sync`: playback sync in the real app, in Chromium, on loopback. Three people with app clocks
 * skewed −1500 / 0 / +900 ms (`theatron:clock-skew-ms`) watch the test video streamed as a torrent (the first
 * drops the file). Measured from outside the app: every page's `video.currentTime` read with
 * `performance.timeOrigin + performance.now()` (the real clock, not the skewed app clock), all extrapolated
 * to the latest reading's instant.
 *
 * - steady-state pairwise drift (every pair, every ~100 ms) from 1 s after convergence until the next change,
 *   ≥ BENCH_STEADY_S seconds in all: p50 / p95 / max;
 * - convergence after a seek (seek bar click → the room's spread ≤ 25 ms and staying there for 1 s);
 * - convergence of a late joiner (its video's first `canplay` → same condition);
 * - correction counts from the app (`window.__theatron.playback.counters()`).
 *
 * Writes docs/benchmarks.md, section "## Playback sync" (only that one). Knobs: BENCH_STEADY_S=30,
 * BENCH_JOINS=3, BENCH_WRITE=0 (print only), BENCH_CLIENT_DIST=<a client build> (measure that build instead),
 * BENCH_SERVER_URL=http://127.0.0.1:<port> (measure the app that server serves: an older build whose client
 * speaks an older wire needs its own server).
 */
import os from 'node:os'
import type { Page } from '@playwright/test'
import { createSignalServer } from '../../signal-server/src/index.ts'
import { buildClient } from './build-client.ts'
import { writeSection } from './doc-section.ts'
import { launchChromium } from '../lib/browser.ts'
import { expectMembers, join as joinRoom, type Person } from '../lib/room.ts'
import { counters, expectVideoReady, measureDrift, roomWatching, skewedPerson } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

const STEADY_S = Number(process.env.BENCH_STEADY_S ?? 30)
const JOINS = Number(process.env.BENCH_JOINS ?? 3)
const WRITE = process.env.BENCH_WRITE !== '0'
/** Print every convergence sample (page drifts against the first page, s = seeking, p = paused). */
const TRACE = process.env.BENCH_TRACE === '1'
const SYNC_MS = 25
/** Converged = the spread stays under SYNC_MS this long. */
const HOLD_MS = 1_000
const SAMPLE_MS = 100
const SKEWS = [-1500, 0, 900]
const JOIN_SKEW = 400

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Pairwise |drift| of one reading of all pages, ms; null while some page is seeking or not playable. */
async function pairwise(
  pages: Page[],
): Promise<{ pairs: number[]; drifts: number[]; spread: number; t: number } | null> {
  const { drifts, spread, readings } = await measureDrift(pages)
  if (readings.some((r) => r.seeking || r.readyState < 3)) return null
  const pairs: number[] = []
  for (let i = 0; i < drifts.length; i++)
    for (let j = i + 1; j < drifts.length; j++) pairs.push(Math.abs(drifts[i]! - drifts[j]!))
  return { pairs, drifts, spread, t: readings[0]!.t }
}

/** BENCH_TRACE=1: a joiner's media events, [name, epoch ms, currentTime], recorded from before the app loads. */
const MEDIA_TRACE = `(() => {
  const events = (window.benchMedia = [])
  for (const name of ['loadedmetadata', 'seeking', 'seeked', 'canplay', 'play', 'playing', 'waiting', 'ratechange']) {
    document.addEventListener(name, (event) => {
      events.push([name, performance.timeOrigin + performance.now(), event.target.currentTime])
    }, true)
  }
})()`

/** |drift of page `joiner` − mean drift of the others|, ms. */
function joinerDrift(sample: { drifts: number[] }, joiner: number): number {
  const others = sample.drifts.filter((_, i) => i !== joiner)
  const mean = others.reduce((a, b) => a + b, 0) / others.length
  return Math.abs(sample.drifts[joiner]! - mean)
}

/**
 * Real ms (Date.now) at which the room came under SYNC_MS for good (HOLD_MS), or null after `timeoutMs`.
 * The room: its spread (max − min over all pages); with `joiner`, that page's drift from the mean of the
 * others (the room's own jitter is not the joiner's convergence).
 */
async function convergedAt(pages: Page[], timeoutMs = 15_000, joiner?: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs
  const started = Date.now()
  let since: number | null = null
  while (Date.now() < deadline) {
    const at = Date.now()
    const sample = await pairwise(pages)
    if (TRACE) {
      const { drifts, readings } = await measureDrift(pages)
      const shown = readings.map(
        (r, i) =>
          `${drifts[i]!.toFixed(0)}${r.seeking ? 's' : ''}${r.paused ? 'p' : ''}@${r.rate.toFixed(3)}`,
      )
      log(`  +${at - started} ms ${shown.join(' ')}`)
    }
    if (sample && (joiner === undefined ? sample.spread : joinerDrift(sample, joiner)) <= SYNC_MS) {
      since ??= at
      if (at - since >= HOLD_MS) return since
    } else since = null
    await pause(SAMPLE_MS / 2)
  }
  return null
}

async function totals(pages: Page[]): Promise<{ seeks: number; rateChanges: number }> {
  const all = await Promise.all(pages.map(counters))
  return {
    seeks: all.reduce((n, c) => n + c.seeks, 0),
    rateChanges: all.reduce((n, c) => n + c.rateChanges, 0),
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  log('building the client…')
  // BENCH_CLIENT_DIST: measure another build (e.g. the previous commit's) with the same harness.
  const external = process.env.BENCH_SERVER_URL
  const clientDir = external ? null : (process.env.BENCH_CLIENT_DIST ?? (await buildClient('sync-bench')))
  const video = await ensureTestVideo()
  const server = clientDir
    ? createSignalServer({ host: '127.0.0.1', port: 0, clientDir, logLevel: 'warn' })
    : null
  const baseURL = server ? `http://127.0.0.1:${(await server.listen()).port}` : external!
  const browser = await launchChromium()
  const people: Person[] = []
  try {
    for (const [i, skew] of SKEWS.entries())
      people.push(await skewedPerson(browser, baseURL, ['Ana', 'Bo', 'Cy'][i]!, skew))
    const pages = people.map((p) => p.page)
    // An older build under BENCH_SERVER_URL may make first-version links (`BENCH_LINK_ROUTE=r`).
    const link = await roomWatching(people, video, process.env.BENCH_LINK_ROUTE)
    const first = await convergedAt(pages, 30_000)
    if (first === null) throw new Error('the room never converged')
    log(`room converged; measuring ${STEADY_S} s of steady state`)

    // Steady state, and a seek back to 1 s whenever the 20 s video nears its end.
    const drifts: number[] = []
    const seekConvergence: number[] = []
    let steadyMs = 0
    const before = await totals(pages)
    let seekFrom = 0
    while (steadyMs < STEADY_S * 1000) {
      // Each window starts with a seek back to 1 s (the video is 20 s long), by each person in turn.
      const seeker = people[seekFrom++ % people.length]!
      const clicked = Date.now()
      await seeker.page.getByTestId('seek-bar').fill('1')
      const at = await convergedAt(pages)
      if (at === null) throw new Error('no convergence after a seek')
      seekConvergence.push(at - clicked)
      log(`seek by ${seeker.name}: converged after ${at - clicked} ms`)
      const windowStart = Date.now() + HOLD_MS
      let last = Date.now()
      for (;;) {
        const sample = await pairwise(pages)
        const now = Date.now()
        if (sample && now >= windowStart) {
          drifts.push(...sample.pairs)
          steadyMs += now - last
        }
        last = now
        if (!sample || sample.t > 17 || steadyMs >= STEADY_S * 1000) break
        await pause(SAMPLE_MS)
      }
    }
    const after = await totals(pages)
    const steadySeconds = steadyMs / 1000

    // Late joiners, one at a time: from the video's first canplay to converged.
    const joinConvergence: number[] = []
    for (let j = 0; j < JOINS; j++) {
      const joiner = await skewedPerson(browser, baseURL, `Late${j + 1}`, JOIN_SKEW)
      await joiner.context.addInitScript(() => {
        document.addEventListener(
          'canplay',
          () => {
            const scope = window as unknown as { __firstCanPlay?: number }
            scope.__firstCanPlay ??= performance.timeOrigin + performance.now()
          },
          true,
        )
      })
      if (TRACE) await joiner.context.addInitScript({ content: MEDIA_TRACE })
      // The video is 20 s: start the room over at 1 s and let it settle, then the joiner comes in and joins a
      // playing room that does nothing else. (Restarting once the joiner is a member can make the room jump
      // after the joiner's first canplay: its figure would then count a second, unrelated seek.)
      await people[0]!.page.getByTestId('seek-bar').fill('1')
      if ((await convergedAt(pages)) === null) throw new Error('no convergence before a join')
      const opened = Date.now()
      await joinRoom(joiner, link)
      await expectMembers([joiner], [...people.map((p) => p.name), joiner.name], 20_000)
      await expectVideoReady([joiner])
      const ready = await joiner.page.evaluate(
        () => (window as unknown as { __firstCanPlay?: number }).__firstCanPlay ?? Date.now(),
      )
      const at = await convergedAt([...pages, joiner.page], 15_000, pages.length)
      const roomAt = (await measureDrift(pages)).readings[0]!.t
      if (at === null && roomAt > 17) {
        // A very slow join (a loaded machine) meets the end of the video: not a measurement.
        log(`late joiner ${joiner.name}: the room reached the end first; skipped`)
        await joiner.close()
        continue
      }
      if (at === null) throw new Error('the late joiner never converged')
      joinConvergence.push(at - ready)
      log(
        `late joiner ${joiner.name}: converged ${Math.round(at - ready)} ms after its first canplay, ` +
          `${Math.round(at - opened)} ms after opening the link`,
      )
      if (TRACE) {
        const events = await joiner.page.evaluate(
          (from) =>
            (window as unknown as { benchMedia: [string, number, number][] }).benchMedia
              .map(([name, at, time]) => `${name}@${Math.round(at - from)}(${time.toFixed(2)})`)
              .join(' '),
          ready,
        )
        log(`  joiner media events, ms after its first canplay (position): ${events}`)
      }
      if (TRACE)
        log(
          `  joiner controller: ${await joiner.page.evaluate(() => JSON.stringify((window as unknown as { __theatron: { playback: { controller: () => unknown } } }).__theatron.playback.controller()))}`,
        )
      await joiner.close()
    }

    const result = {
      samples: drifts.length,
      steadySeconds,
      p50: percentile(drifts, 50),
      p95: percentile(drifts, 95),
      max: Math.max(...drifts),
      seekConvergence,
      joinConvergence,
      seeks: after.seeks - before.seeks,
      rateChanges: after.rateChanges - before.rateChanges,
      seeksByPerson: (await Promise.all(pages.map(counters))).map((c) => c.seeks),
    }
    log(JSON.stringify(result, null, 2))
    const section = render(result, (performance.now() - started) / 1000, browser.version())
    log(section)
    if (WRITE) writeSection('Playback sync', section)
  } finally {
    await Promise.all(people.map((p) => p.close().catch(() => {})))
    await browser.close()
    await server?.close()
  }
}

interface Result {
  samples: number
  steadySeconds: number
  p50: number
  p95: number
  max: number
  seekConvergence: number[]
  joinConvergence: number[]
  seeks: number
  rateChanges: number
}

function render(r: Result, seconds: number, chromium: string): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const ms = (v: number) => `${v.toFixed(1)} ms`
  const list = (values: number[]) => values.map((v) => `${Math.round(v)}`).join(', ')
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')
  const worstConvergence = Math.max(...r.seekConvergence, ...r.joinConvergence)
  return [
    '## Playback sync',
    '',
    `Command: \`npm run bench:sync\` (e2e/bench/sync.ts). Date: ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${os.availableParallelism()} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, Chromium ${chromium}. Took ${Math.round(seconds)} s; load average ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at the end (the machine is shared).`,
    '',
    'The real app on 127.0.0.1, one Chromium, one context per person; app clocks skewed −1500 / 0 / +900 ms',
    '(late joiners +400 ms); the test video streamed as a torrent from the first person. Drift is measured',
    'outside the app: each page reads `currentTime` with `performance.timeOrigin + performance.now()`, all',
    'are extrapolated to one instant; pairwise |difference| every ~100 ms, from 1 s after convergence until',
    'the next change (a seek back to 1 s near the end of the 20 s video). Convergence: until the room spread',
    'is ≤ 25 ms and stays so for 1 s (the hold second is not counted); for a late joiner, until its drift',
    'from the mean of the others is ≤ 25 ms for 1 s, counted from its video’s first `canplay`. Before each',
    'join the room starts over at 1 s and settles; then the joiner opens the link and joins a playing room.',
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| steady pairwise drift p50 | ${ms(r.p50)} | ≤ 10 ms, ${verdict(r.p50 <= 10)} |`,
    `| steady pairwise drift p95 | ${ms(r.p95)} | ≤ 25 ms, ${verdict(r.p95 <= 25)} |`,
    `| steady pairwise drift max | ${ms(r.max)} | |`,
    `| samples | ${r.samples} pairs over ${r.steadySeconds.toFixed(1)} s | ≥ 20 s |`,
    `| convergence after a seek (ms, each) | ${list(r.seekConvergence)} | ≤ 2000, ${verdict(Math.max(...r.seekConvergence) <= 2000)} |`,
    `| convergence of a late joiner after its first \`canplay\` (ms, each) | ${list(r.joinConvergence)} | ≤ 2000, ${verdict(Math.max(...r.joinConvergence) <= 2000)} |`,
    `| corrections during the steady phase (3 pages, seeks included) | ${r.seeks} seeks, ${r.rateChanges} rate changes | |`,
    '',
    `Worst convergence ${Math.round(worstConvergence)} ms.`,
    '',
  ].join('\n')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
