/**
 * `npm run bench:sync`: playback sync in the real app, in Chromium, on loopback. Four people with app clocks
 * skewed −1500 / 0 / +900 / +300 ms (`theatron:clock-skew-ms`) watch the test video streamed as a torrent (the
 * first drops the file); the fourth's CPU is throttled (CDP `Emulation.setCPUThrottlingRate`,
 * BENCH_CPU_THROTTLE, 4× by default) and its figures are reported apart. Measured from outside the app: every
 * page's `video.currentTime` read with `performance.timeOrigin + performance.now()` (the real clock, not the
 * skewed app clock), all extrapolated to the latest reading's instant. Each run, and pooled over the runs:
 *
 * - drift over ALL samples from the room's first convergence to the end of the seek phase, disturbances
 *   included (seeks, holds, pages seeking or paused): pairwise p50 / p95 / max among the three unthrottled
 *   pages, the share of samples in which any of them was more than 25 ms off another, and the throttled
 *   page against their mean;
 * - steady-state pairwise drift (the old figure: from 1 s after each convergence until the next seek, only
 *   samples with every page playing and `HAVE_FUTURE_DATA`);
 * - convergence after a seek, from the person's action (the seek bar, or the element's `currentTime` as native
 *   controls and keyboard set it) until the three unthrottled pages all play within 25 ms of each other for 1 s;
 * - late joiners, from opening the link until the joiner plays within 25 ms of the others' mean for 1 s (and
 *   the phases: member, first `canplay`);
 * - controller seeks beyond the one per member that a hold takes, and stalls (`waiting` events outside a
 *   seek), per minute;
 * - pauses: the spread of the members' paused positions once every page is still (pauses.ts).
 *
 * - a starved hold, in a room of its own per run (starvation.ts): the seeder's upload capped until the others
 *   run dry and the room holds, then lifted: the resume spread and the time from the data back to playing.
 *
 * Writes docs/benchmarks.md, section "## Playback sync" (only that one). Knobs: BENCH_SYNC_RUNS=3,
 * BENCH_SEEKS=7 (per run; 0 skips the seek phase), BENCH_WINDOW_S=4 (steady seconds after each seek),
 * BENCH_JOINS=3 (per run), BENCH_PAUSES=4 (per run, pauses.ts), BENCH_CPU_THROTTLE=4, BENCH_STARVE=0 (no starved hold; starvation.ts has its
 * knobs), BENCH_WRITE=0 (print only), BENCH_TRACE=1, BENCH_CLIENT_DIST=<a client build> (measure that build
 * instead), BENCH_SERVER_URL=http://127.0.0.1:<port> (measure the app that server serves), BENCH_CAMERAS=1
 * (each run again with three cameras on, compared; CPU per page: e2e/bench/cameras.ts; BENCH_CAMERAS_MIC=0: cameras only).
 */
import os from 'node:os'
import type { Browser, Page } from '@playwright/test'
import { createSignalServer } from '../../signal-server/src/index.ts'
import { buildClient } from './build-client.ts'
import { writeSection } from './doc-section.ts'
import { launchChromium } from '../lib/browser.ts'
import { expectMembers, join as joinRoom, type Person } from '../lib/room.ts'
import {
  counters,
  expectVideoReady,
  measureDrift,
  roomWatching,
  skewedPerson,
  userActions,
  type VideoReading,
} from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'
import {
  formatPhases,
  JOIN_EVENTS_PROBE,
  joinEvents,
  joinPhases,
  medianPhases,
  type JoinPhases,
} from './join-phases.ts'
import { PLAYING_PROBE, STARVE, starvation, type StarvationResult } from './starvation.ts'
import {
  clearSeekTrace,
  formatSeekPhases,
  medianSeekPhases,
  SEEK_PROBE,
  seekPhases,
  type SeekPhases,
} from './seek-phases.ts'
import { CAMERAS, camerasOn, compareCameras, formatPageCpu, PageCpu } from './cameras.ts'
import { FRAME_MS, pauseOnce, PAUSES, type PauseResult } from './pauses.ts'

const RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 3)
const SEEKS = Number(process.env.BENCH_SEEKS ?? 7)
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 4)
const JOINS = Number(process.env.BENCH_JOINS ?? 3)
const CPU_THROTTLE = Number(process.env.BENCH_CPU_THROTTLE ?? 4)
const WRITE = process.env.BENCH_WRITE !== '0'
/** Print every convergence sample (page drifts against the first page, s = seeking, p = paused). */
const TRACE = process.env.BENCH_TRACE === '1'
const SYNC_MS = 25
const CONVERGE_TIMEOUT_MS = 15_000
/** The throttled page's drift this soon after a seek's action is reported apart (`slowSplit`). */
const SEEK_AFTERMATH_MS = 3_000
/** Converged = the spread stays under SYNC_MS this long. */
const HOLD_MS = 1_000
const SAMPLE_MS = 100
const PEOPLE: [string, number][] = [
  ['Ana', -1500],
  ['Bo', 0],
  ['Cy', 900],
  ['Dee', 300],
]
/** The person whose CPU is throttled. */
const SLOW = 3
const JOIN_SKEW = 400
/** Where the seeks go, in turn (the video is 20 s; each is followed by WINDOW_S of playback). */
const TARGETS = [9, 2, 12, 5, 1, 10, 3, 7]

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const comparable = (r: VideoReading) => !r.seeking && r.readyState >= 3 && !r.paused && !r.ended

/** Pairwise |drift| of one reading of all pages, ms; null unless every page plays with data. */
async function pairwise(
  pages: Page[],
): Promise<{ pairs: number[]; drifts: number[]; spread: number; t: number } | null> {
  const { drifts, spread, readings } = await measureDrift(pages)
  if (!readings.every(comparable)) return null
  return { pairs: pairsOf(drifts), drifts, spread, t: readings[0]!.t }
}

function pairsOf(drifts: readonly number[]): number[] {
  const pairs: number[] = []
  for (let i = 0; i < drifts.length; i++)
    for (let j = i + 1; j < drifts.length; j++) pairs.push(Math.abs(drifts[i]! - drifts[j]!))
  return pairs
}

/** |drift of page `one` − mean drift of the pages before it|, ms. */
function driftFromMean(drifts: readonly number[], one: number): number {
  const others = drifts.slice(0, one)
  const mean = others.reduce((a, b) => a + b, 0) / others.length
  return Math.abs(drifts[one]! - mean)
}

/** Counts the player's stalls (`waiting` outside a seek) and records the first `canplay`, from page load. */
const PAGE_PROBE = `(() => {
  window.__benchStalls = 0
  document.addEventListener('waiting', (event) => { if (!event.target.seeking) window.__benchStalls++ }, true)
  document.addEventListener('canplay', () => { window.__firstCanPlay ??= performance.timeOrigin + performance.now() }, true)
})()`

async function probe(page: Page): Promise<{ stalls: number; firstCanPlay: number | null }> {
  return page.evaluate(() => {
    const scope = window as unknown as { __benchStalls?: number; __firstCanPlay?: number }
    return { stalls: scope.__benchStalls ?? 0, firstCanPlay: scope.__firstCanPlay ?? null }
  })
}

/**
 * Real ms (Date.now) at which the pages came within SYNC_MS for good (HOLD_MS), all playing, or null after
 * `timeoutMs`. The room: the spread of `pages`; with `joiner` (the last page), its drift from the others' mean.
 */
async function convergedAt(pages: Page[], timeoutMs = 15_000, joiner = false): Promise<number | null> {
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
    const off = sample && (joiner ? driftFromMean(sample.drifts, pages.length - 1) : sample.spread)
    if (off !== null && off <= SYNC_MS) {
      since ??= at
      if (at - since >= HOLD_MS) return since
    } else since = null
    await pause(SAMPLE_MS / 2)
  }
  return null
}

/** BENCH_TRACE=1: what each page's playback store saw (its person's actions, counters, the timeline). */
async function dump(people: Person[]): Promise<void> {
  for (const someone of people) {
    const state = await someone.page.evaluate(() => {
      const playback = (
        window as unknown as {
          __theatron: { playback: { userActions(): unknown; counters(): unknown; timeline(): unknown } }
        }
      ).__theatron.playback
      const timeline = playback.timeline() as Record<string, unknown>
      return JSON.stringify({
        actions: playback.userActions(),
        counters: playback.counters(),
        timeline: { ...timeline, previous: undefined },
      })
    })
    log(`  ${someone.name}: ${state}`)
  }
}

/** Every reading of all pages, every ~SAMPLE_MS, in the background until `stop()`. */
class Sampler {
  readonly samples: { at: number; drifts: number[]; readings: VideoReading[] }[] = []
  #stopped = false
  readonly #done: Promise<void>

  constructor(pages: Page[]) {
    this.#done = (async () => {
      while (!this.#stopped) {
        const { drifts, readings } = await measureDrift(pages)
        this.samples.push({ at: Date.now(), drifts, readings })
        await pause(SAMPLE_MS)
      }
    })()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#done
  }
}

interface RunResult {
  /** all samples after the first convergence, the three unthrottled pages: pairwise |drift| */
  allPairs: number[]
  /** samples in which some unthrottled pair was > SYNC_MS apart, and all samples */
  offSamples: number
  samples: number
  /** the throttled page against the others' mean, every sample */
  slow: number[]
  /**
   * the same, split: samples within SEEK_AFTERMATH_MS of a seek's action; later ones with all four pages
   * playing with data; later ones with some page seeking, paused or without data
   */
  slowAfterSeek: number[]
  slowPlaying: number[]
  slowDisturbed: number[]
  steady: number[]
  steadySeconds: number
  seekConvergence: number[]
  /** each seek's steps on each page (seek-phases.ts), ms from the action */
  seekSteps: SeekPhases[][]
  /** seeks with no convergence within CONVERGE_TIMEOUT_MS (counted as that) */
  seekTimeouts: number
  joinsLost: number
  joinFromLink: number[]
  joinFromCanPlay: number[]
  /** each measured join's steps (join-phases.ts), ms from opening the link */
  joinPhases: JoinPhases[]
  /** each pause's spread once every page is still (pauses.ts) */
  pauses: PauseResult[]
  /** pauses after which the room did not come to rest within the timeout */
  pausesLost: number
  minutes: number
  extraSeeks: number
  stalls: number
  slowExtraSeeks: number
  slowStalls: number
  load: number[]
}

/**
 * PAUSES pauses (pauses.ts) by each person in turn, alternately on the play toggle and the element, from 1 s
 * into the video; stops early when the room does not play together again after one.
 */
async function pausePhase(
  people: Person[],
  pages: Page[],
  fast: Page[],
): Promise<{ measured: PauseResult[]; lost: number }> {
  const measured: PauseResult[] = []
  let lost = 0
  if (PAUSES === 0) return { measured, lost }
  await people[0]!.page.getByTestId('seek-bar').fill('1')
  const together = async () => (await convergedAt(fast)) !== null
  if (!(await together())) {
    log('  pauses: the room did not play together after the seek to 1 s; not measured')
    return { measured, lost: PAUSES }
  }
  for (let i = 0; i < PAUSES; i++) {
    const pauser = people[i % people.length]!
    const byElement = i % 2 === 1
    const { pause, resumed } = await pauseOnce(pauser, pages, fast.length, byElement, together)
    if (pause) measured.push(pause)
    else lost++
    log(
      `  pause by ${pauser.name} (${byElement ? 'element' : 'play toggle'}): ` +
        (pause
          ? `spread ${pause.spreadAll.toFixed(1)} ms (unthrottled ${pause.spreadFast.toFixed(1)}), ` +
            `still after ${pause.settledMs} ms`
          : 'the room did not come to rest'),
    )
    if (!resumed) {
      log('  pauses: the room did not play together again; the rest not measured')
      lost += PAUSES - i - 1
      break
    }
  }
  return { measured, lost }
}

/** A run whose room did not play within 25 ms for 1 s in its first 30 s: reported as such, the next run goes on. */
class NeverConverged extends Error {
  constructor() {
    super('the room never converged (not within 25 ms for 1 s in 30 s)')
  }
}

async function throttle(page: Page, rate: number): Promise<void> {
  if (!(rate > 1)) return
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Emulation.setCPUThrottlingRate', { rate })
}

async function run(
  index: number,
  browser: Browser,
  baseURL: string,
  video: string,
  cameras = false,
): Promise<RunResult> {
  const people: Person[] = []
  try {
    for (const [name, skew] of PEOPLE) {
      const someone = await skewedPerson(browser, baseURL, name, skew)
      await someone.context.addInitScript({ content: PAGE_PROBE })
      await someone.context.addInitScript({ content: SEEK_PROBE })
      people.push(someone)
    }
    await throttle(people[SLOW]!.page, CPU_THROTTLE)
    const pages = people.map((p) => p.page)
    const fast = pages.slice(0, SLOW)
    const link = await roomWatching(people, video, process.env.BENCH_LINK_ROUTE)
    const first = await convergedAt(fast, 30_000)
    if (first === null) throw new NeverConverged()
    log(`run ${index + 1}: room converged; ${SEEKS} seeks, ${WINDOW_S} s of playback after each`)
    // BENCH_CAMERAS=1 (cameras.ts): this pass with the three unthrottled cameras on; CPU per page either way.
    const cpu = CAMERAS ? new PageCpu() : null
    await cpu?.identify(pages)
    if (cameras) await camerasOn(people.slice(0, SLOW))
    await cpu?.start()

    const sampler = new Sampler(pages)
    const before = await Promise.all(pages.map(counters))
    const stallsBefore = await Promise.all(pages.map(probe))
    const seekConvergence: number[] = []
    const seekSteps: SeekPhases[][] = []
    let seekTimeouts = 0
    const steady: number[] = []
    let steadyMs = 0
    const phaseStart = Date.now()
    const actedAt: number[] = []
    for (let i = 0; i < SEEKS; i++) {
      const seeker = people[i % people.length]!
      const target = TARGETS[i % TARGETS.length]!
      const byElement = i % 2 === 1
      await Promise.all(pages.map(clearSeekTrace))
      const acted = Date.now()
      actedAt.push(acted)
      if (byElement)
        await seeker.page
          .getByTestId('player')
          .evaluate((v: HTMLVideoElement, to: number) => (v.currentTime = to), target)
      else await seeker.page.getByTestId('seek-bar').fill(String(target))
      const at = await convergedAt(fast, CONVERGE_TIMEOUT_MS)
      if (TRACE) await dump(people)
      // No convergence within the timeout counts as the timeout (a lower bound), not as a gap.
      const took = at === null ? CONVERGE_TIMEOUT_MS : at - acted
      if (at === null) seekTimeouts++
      seekConvergence.push(took)
      const phases = await Promise.all(pages.map((page) => seekPhases(page, acted)))
      seekSteps.push(phases)
      log(
        `  seek to ${target} s by ${seeker.name} (${byElement ? 'element' : 'seek bar'}): ` +
          `${at === null ? `no convergence within ${took}` : took} ms`,
      )
      log(
        `    steps (ms from the action): ${formatSeekPhases(
          PEOPLE.map(([name]) => name),
          phases,
        )}`,
      )
      const windowStart = Date.now() + HOLD_MS
      const windowEnd = windowStart + WINDOW_S * 1000
      let last = Date.now()
      while (Date.now() < windowEnd) {
        const sample = await pairwise(fast)
        const now = Date.now()
        if (sample && now >= windowStart) {
          steady.push(...sample.pairs)
          steadyMs += now - last
        }
        last = now
        if (sample && sample.t > 18) break
        await pause(SAMPLE_MS)
      }
    }
    await sampler.stop()
    const cpuSpent = await cpu?.stop()
    if (cpuSpent) log(formatPageCpu(cameras, people, cpuSpent))
    const minutes = (Date.now() - phaseStart) / 60_000
    const after = await Promise.all(pages.map(counters))
    const stallsAfter = await Promise.all(pages.map(probe))
    // Each seek while playing takes one controller seek per member (to the held position): not a correction.
    const extra = (i: number) => Math.max(0, after[i]!.seeks - before[i]!.seeks - SEEKS)
    const stallsOf = (i: number) => stallsAfter[i]!.stalls - stallsBefore[i]!.stalls
    const allPairs: number[] = []
    const slow: number[] = []
    const slowAfterSeek: number[] = []
    const slowPlaying: number[] = []
    const slowDisturbed: number[] = []
    const afterSeek = (at: number) => actedAt.some((acted) => at >= acted && at - acted < SEEK_AFTERMATH_MS)
    let offSamples = 0
    for (const sample of sampler.samples) {
      if (sample.readings.some((r) => r.ended)) continue
      const pairs = pairsOf(sample.drifts.slice(0, SLOW))
      allPairs.push(...pairs)
      if (Math.max(...pairs) > SYNC_MS) offSamples++
      const drift = driftFromMean(sample.drifts, SLOW)
      slow.push(drift)
      if (afterSeek(sample.at)) slowAfterSeek.push(drift)
      else (sample.readings.every(comparable) ? slowPlaying : slowDisturbed).push(drift)
    }

    // After the seek phase's counters: a pause's seeks are the pause, not corrections.
    const pauses = await pausePhase(people, pages, fast)

    const joinFromLink: number[] = []
    /** joins not measured (the room reached the video's end first, or never settled) or never converged */
    let joinsLost = 0
    const joinFromCanPlay: number[] = []
    const phasesOfJoins: JoinPhases[] = []
    for (let j = 0; j < JOINS; j++) {
      const joiner = await skewedPerson(browser, baseURL, `Late${j + 1}`, JOIN_SKEW)
      await joiner.context.addInitScript({ content: PAGE_PROBE })
      if (TRACE) await joiner.context.addInitScript({ content: JOIN_EVENTS_PROBE })
      // Start the room over at 1 s and let it settle; the joiner then joins a playing room.
      await people[0]!.page.getByTestId('seek-bar').fill('1')
      if ((await convergedAt(fast)) === null) {
        if (TRACE) await dump(people)
        log(`  late joiner ${joiner.name}: the room did not settle before the join; not measured`)
        joinsLost++
        await joiner.close()
        continue
      }
      const opened = Date.now()
      await joinRoom(joiner, link)
      await expectMembers([joiner], [...people.map((p) => p.name), joiner.name], 20_000)
      const member = Date.now()
      await expectVideoReady([joiner])
      const at = await convergedAt([...fast, joiner.page], CONVERGE_TIMEOUT_MS, true)
      const ready = (await probe(joiner.page)).firstCanPlay ?? Date.now()
      const roomAt = (await measureDrift(fast)).readings[0]!.t
      const phases = await joinPhases(joiner.page, opened)
      if (TRACE) {
        log(`    ${joiner.name}'s steps (ms from the link): ${formatPhases(phases)}`)
        log(`    ${joiner.name}'s events (ms from the link): ${await joinEvents(joiner.page, opened)}`)
      }
      await joiner.close()
      if (at === null && roomAt > 17) {
        log(`  late joiner ${joiner.name}: the room reached the end first; not measured`)
        joinsLost++
        continue
      }
      if (at === null) {
        log(
          `  late joiner ${joiner.name}: no convergence within ${CONVERGE_TIMEOUT_MS} ms of its video being ready`,
        )
        joinsLost++
        continue
      }
      joinFromLink.push(at - opened)
      joinFromCanPlay.push(at - ready)
      phasesOfJoins.push(phases)
      log(
        `  late joiner ${joiner.name}: ${at - opened} ms from opening the link (member after ` +
          `${member - opened} ms, first canplay after ${Math.round(ready - opened)} ms, in sync ` +
          `${Math.round(at - ready)} ms after it)`,
      )
      log(`    steps (ms from the link): ${formatPhases(phases)}`)
    }
    // What each page's store took for its person's actions on the element (the benchmark's own element seeks
    // among them; anything else is an event the element fired that became a room command).
    const actions = await Promise.all(
      pages.map(async (page) => (await userActions(page)).map((action) => action.type).join(' ')),
    )
    log(`  user actions on the element: ${people.map((p, i) => `${p.name} [${actions[i]}]`).join(', ')}`)
    const fastExtra = [0, 1, 2].reduce((n, i) => n + extra(i), 0)
    const fastStalls = [0, 1, 2].reduce((n, i) => n + stallsOf(i), 0)
    return {
      allPairs,
      offSamples,
      samples: sampler.samples.length,
      slow,
      slowAfterSeek,
      slowPlaying,
      slowDisturbed,
      steady,
      steadySeconds: steadyMs / 1000,
      seekConvergence,
      seekSteps,
      seekTimeouts,
      joinsLost,
      joinFromLink,
      joinFromCanPlay,
      joinPhases: phasesOfJoins,
      pauses: pauses.measured,
      pausesLost: pauses.lost,
      minutes,
      extraSeeks: fastExtra,
      stalls: fastStalls,
      slowExtraSeeks: extra(SLOW),
      slowStalls: stallsOf(SLOW),
      load: os.loadavg(),
    }
  } finally {
    await Promise.all(people.map((p) => p.close().catch(() => {})))
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  log('building the client…')
  const external = process.env.BENCH_SERVER_URL
  const clientDir = external ? null : (process.env.BENCH_CLIENT_DIST ?? (await buildClient('sync-bench')))
  const video = await ensureTestVideo()
  const server = clientDir
    ? createSignalServer({ host: '127.0.0.1', port: 0, clientDir, logLevel: 'warn' })
    : null
  const baseURL = server ? `http://127.0.0.1:${(await server.listen()).port}` : external!
  const browser = await launchChromium()
  const runs: RunResult[] = []
  const starved: StarvationResult[] = []
  /** Runs (1-based) whose room never converged: counted in the section, not dropped silently. */
  const neverConverged: number[] = []
  /** BENCH_CAMERAS=1: each run's pass without cameras and its pass with them, where both converged. */
  const paired: [RunResult, RunResult][] = []
  try {
    for (let i = 0; i < RUNS; i++) {
      let result: RunResult
      try {
        result = await run(i, browser, baseURL, video)
      } catch (error) {
        if (!(error instanceof NeverConverged)) throw error
        neverConverged.push(i + 1)
        log(`run ${i + 1}: ${error.message}; the next run goes on`)
        continue
      }
      runs.push(result)
      log(row(`run ${i + 1}`, [result]))
      log(slowSplit(`run ${i + 1}`, [result]))
      // ── the starved hold (starvation.ts), in a room of its own ──
      if (STARVE) starved.push(await starvedRun(i, browser, baseURL, video))
      if (CAMERAS) {
        const withCameras = await run(i, browser, baseURL, video, true).catch((error: unknown) => {
          if (!(error instanceof NeverConverged)) throw error
          log(`run ${i + 1} with cameras: ${error.message}`)
          return null
        })
        if (withCameras) {
          log(row(`run ${i + 1} with cameras`, [withCameras]))
          log(compareCameras(result.steady, withCameras.steady, percentile))
          paired.push([result, withCameras])
        }
      }
    }
    if (paired.length > 1) {
      const pool = (pass: 0 | 1) => paired.flatMap((pair) => pair[pass].steady)
      log(compareCameras(pool(0), pool(1), percentile, ` (pooled over ${paired.length} runs)`))
    }
    if (runs.length === 0) throw new Error(`no run converged (runs ${neverConverged.join(', ')})`)
    const failures =
      neverConverged.length === 0
        ? ''
        : `\nRuns whose room never converged (not within 25 ms for 1 s in its first 30 s), left out of the ` +
          `table: ${neverConverged.join(', ')} of ${RUNS}.\n`
    const section =
      render(runs, (performance.now() - started) / 1000, browser.version()) +
      failures +
      (STARVE ? renderStarvation(starved) : '')
    log(section)
    log(slowSplit('all runs', runs))
    if (WRITE) writeSection('Playback sync', section)
  } finally {
    await browser.close()
    await server?.close()
  }
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)}` : '–')
const list = (values: number[]) => values.map((v) => `${Math.round(v)}`).join(', ')
const median = (values: number[]) => percentile(values, 50)
/** `median / worst`, or `–` when nothing was measured (BENCH_SEEKS=0, BENCH_JOINS=0). */
const medianWorst = (values: number[]) =>
  values.length === 0 ? '–' : `${Math.round(median(values))} / ${Math.round(Math.max(...values))}`
/** A target's verdict, or `not measured` without values. */
const verdictOf = (values: number[], ok: (values: number[]) => boolean) =>
  values.length === 0 ? 'not measured' : ok(values) ? 'met' : '**missed**'

/**
 * Where the throttled page's drift is: in the first SEEK_AFTERMATH_MS after a seek's action, then with all
 * four pages playing with data, or with some page seeking, paused or without data (a stall, a correction).
 */
function slowSplit(name: string, runs: RunResult[]): string {
  const part = (values: number[]) =>
    `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))} / ${ms(Math.max(...values))} ` +
    `(${values.length}, ${values.filter((v) => v > 50).length} over 50 ms)`
  return (
    `  ${name}, throttled p50 / p95 / max (samples, over 50 ms): ` +
    `within ${SEEK_AFTERMATH_MS / 1000} s of a seek ${part(runs.flatMap((r) => r.slowAfterSeek))}; ` +
    `later, all four playing with data ${part(runs.flatMap((r) => r.slowPlaying))}; ` +
    `later, some page seeking, paused or without data ${part(runs.flatMap((r) => r.slowDisturbed))}`
  )
}

/** One table row for these runs pooled. */
function row(name: string, runs: RunResult[]): string {
  const all = runs.flatMap((r) => r.allPairs)
  const slow = runs.flatMap((r) => r.slow)
  const steady = runs.flatMap((r) => r.steady)
  const seeks = runs.flatMap((r) => r.seekConvergence)
  const joins = runs.flatMap((r) => r.joinFromLink)
  const samples = runs.reduce((n, r) => n + r.samples, 0)
  const off = runs.reduce((n, r) => n + r.offSamples, 0)
  const minutes = runs.reduce((n, r) => n + r.minutes, 0)
  const perMin = (n: number) => (n / minutes).toFixed(1)
  const sum = (f: (r: RunResult) => number) => runs.reduce((n, r) => n + f(r), 0)
  const load = runs.map((r) => r.load[0]!.toFixed(1)).join('–')
  return (
    `| ${name} | ${ms(percentile(all, 50))} / ${ms(percentile(all, 95))} / ${ms(Math.max(...all))} | ` +
    `${((100 * off) / Math.max(1, samples)).toFixed(1)} % | ` +
    `${ms(percentile(slow, 50))} / ${ms(percentile(slow, 95))} / ${ms(Math.max(...slow))} | ` +
    `${ms(percentile(steady, 50))} / ${ms(percentile(steady, 95))} | ` +
    `${medianWorst(seeks)} (${seeks.length}` +
    `${sum((r) => r.seekTimeouts) > 0 ? `, ${sum((r) => r.seekTimeouts)} over ${CONVERGE_TIMEOUT_MS}` : ''}) | ` +
    `${medianWorst(joins)} (${joins.length}` +
    `${sum((r) => r.joinsLost) > 0 ? `, ${sum((r) => r.joinsLost)} not measured` : ''}) | ` +
    `${perMin(sum((r) => r.extraSeeks))} / ${perMin(sum((r) => r.stalls))} | ` +
    `${perMin(sum((r) => r.slowExtraSeeks))} / ${perMin(sum((r) => r.slowStalls))} | ${load} |`
  )
}

function render(runs: RunResult[], seconds: number, chromium: string): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const seeks = runs.flatMap((r) => r.seekConvergence)
  const joins = runs.flatMap((r) => r.joinFromLink)
  const slow = runs.flatMap((r) => r.slow)
  const steady = runs.flatMap((r) => r.steady)
  const pauses = runs.flatMap((r) => r.pauses)
  const pausesLost = runs.reduce((n, r) => n + r.pausesLost, 0)
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')
  return [
    '## Playback sync',
    '',
    `Command: \`npm run bench:sync\` (e2e/bench/sync.ts), ${runs.length} runs. Date: ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${os.availableParallelism()} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, Chromium ${chromium}. Took ${Math.round(seconds)} s; load average ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at the end (the machine is shared).`,
    '',
    'The real app on 127.0.0.1, one Chromium, one context per person; four people with app clocks skewed',
    `−1500 / 0 / +900 / +300 ms, the fourth with its CPU throttled ${CPU_THROTTLE}× (CDP`,
    '`Emulation.setCPUThrottlingRate`); late joiners +400 ms; the test video streamed as a torrent from the',
    'first person. Drift is measured outside the app: each page reads `currentTime` with',
    '`performance.timeOrigin + performance.now()`, all extrapolated to one instant, every ~100 ms.',
    '',
    '- **all samples**: every reading from the first convergence to the end of the seek phase, seeks and',
    '  holds included (pages seeking or paused as they read): pairwise |drift| of the three unthrottled',
    '  pages p50 / p95 / max, and the share of readings in which two of them were more than 25 ms apart;',
    '- **throttled**: the throttled page against the mean of the others, every reading, p50 / p95 / max;',
    '- **steady**: the earlier figure, from 1 s after each convergence, only readings with every page playing;',
    `- **seek**: ${SEEKS} seeks a run by each person in turn, alternately on the seek bar and on the element`,
    '  (`currentTime`, as native controls and the keyboard do), from the action until the three unthrottled',
    '  pages all play within 25 ms for 1 s (the second not counted): median / worst (count);',
    '- **join**: from opening the link until the joiner plays within 25 ms of the others’ mean for 1 s;',
    '- **seeks, stalls / min**: controller seeks beyond the one a hold takes per member, and `waiting`',
    '  events outside a seek, per minute of the seek phase (three unthrottled pages together; throttled page).',
    '',
    '| run | all samples p50 / p95 / max (ms) | > 25 ms | throttled p50 / p95 / max (ms) | steady p50 / p95 | seek median / worst (n) | join median / worst (n) | seeks / stalls per min | throttled seeks / stalls per min | load (1 min) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((r, i) => row(`${i + 1}`, [r])),
    row('**pooled**', runs),
    '',
    'Each seek (ms): ' + list(seeks) + '.',
    '',
    'A seek’s steps, median over the seeks of the last page to get there (ms from the action; ' +
      'e2e/bench/seek-phases.ts): unthrottled ' +
      medianSeekPhases(
        runs.flatMap((r) => r.seekSteps),
        [0, 1, 2],
      ) +
      '; throttled ' +
      medianSeekPhases(
        runs.flatMap((r) => r.seekSteps),
        [SLOW],
      ) +
      '.',
    '',
    'Each join from the link (ms): ' +
      list(joins) +
      '; from its first `canplay`: ' +
      list(runs.flatMap((r) => r.joinFromCanPlay)) +
      '.',
    '',
    'Each pause, the spread of the paused positions once every page is still (ms, all four pages; the ' +
      'three unthrottled in brackets; e2e/bench/pauses.ts): ' +
      (pauses.length === 0
        ? '–'
        : pauses.map((p) => `${p.spreadAll.toFixed(1)} (${p.spreadFast.toFixed(1)})`).join(', ')) +
      (pausesLost > 0 ? `; ${pausesLost} not measured` : '') +
      '.',
    '',
    'A join’s steps, median over the joins (ms from opening the link; e2e/bench/join-phases.ts): ' +
      formatPhases(medianPhases(runs.flatMap((r) => r.joinPhases))) +
      '.',
    '',
    `Targets: seek median ≤ 1000 ms ${verdictOf(seeks, (v) => median(v) <= 1000)}, worst ≤ 2000 ms ${verdictOf(seeks, (v) => Math.max(...v) <= 2000)}; ` +
      `join median ≤ 2000 ms ${verdictOf(joins, (v) => median(v) <= 2000)}, worst ≤ 3000 ms ${verdictOf(joins, (v) => Math.max(...v) <= 3000)}; ` +
      `throttled p95 ≤ 50 ms ${verdict(percentile(slow, 95) <= 50)}; ` +
      `pauses within ${FRAME_MS} ms (a frame) ${verdictOf(
        pauses.map((p) => p.spreadAll),
        (v) => Math.max(...v) <= FRAME_MS && pausesLost === 0,
      )}; steady p50 ≤ 10 ms ${verdictOf(steady, (v) => percentile(v, 50) <= 10)}, ` +
      `p95 ≤ 25 ms ${verdictOf(steady, (v) => percentile(v, 95) <= 25)}.`,
    '',
  ].join('\n')
}

// ── the starved hold: a room of its own per run (starvation.ts) ─────────────────────────────────────────

async function starvedRun(
  index: number,
  browser: Browser,
  baseURL: string,
  video: string,
): Promise<StarvationResult> {
  const people: Person[] = []
  try {
    for (const [name, skew] of PEOPLE) {
      const someone = await skewedPerson(browser, baseURL, name, skew)
      await someone.context.addInitScript({ content: PLAYING_PROBE })
      people.push(someone)
    }
    await throttle(people[SLOW]!.page, CPU_THROTTLE)
    log(`run ${index + 1}: a starved hold (the seeder's upload capped)`)
    const result = await starvation(people, SLOW, video, (pages) => convergedAt(pages, 30_000), log)
    if (!result.measured) log(`  starved hold not measured: ${result.reason}`)
    return result
  } finally {
    await Promise.all(people.map((p) => p.close().catch(() => {})))
  }
}

function renderStarvation(results: StarvationResult[]): string {
  const measured = results.flatMap((r) => (r.measured ? [r.measured] : []))
  const cells = (m: NonNullable<StarvationResult['measured']>[]) =>
    m.length === 0
      ? '– | – | – | –'
      : `${list(m.map((x) => x.spreadFast))} | ${list(m.map((x) => x.spreadAll))} | ` +
        `${list(m.map((x) => x.dataBackToPlaying))} | ${list(m.map((x) => x.starvedToHold))}`
  const pooled = (m: NonNullable<StarvationResult['measured']>[]) =>
    [
      m.map((x) => x.spreadFast),
      m.map((x) => x.spreadAll),
      m.map((x) => x.dataBackToPlaying),
      m.map((x) => x.starvedToHold),
    ]
      .map(medianWorst)
      .join(' | ')
  const spreads = measured.map((m) => m.spreadFast)
  return [
    '',
    '### A starved hold',
    '',
    'In a room of its own per run, the first person drops the video with its upload capped a little above the',
    'video’s bitrate (`window.__theatron.torrent.throttleUpload`, the e2e build’s hook on its torrent client;',
    'e2e/bench/starvation.ts); once the room plays together the cap drops to ~1 kB/s, the others run dry and',
    'the room holds. Then the cap is lifted (the data is back). From each page’s own `playing` event: the',
    'resume spread (latest − earliest, the three unthrottled pages; all four) and the time from the data',
    'coming back until the last member plays.',
    '',
    '| run | resume spread, unthrottled (ms) | all four (ms) | data back → playing (ms) | starving → hold (ms) |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r, i) => `| ${i + 1} | ${r.measured ? cells([r.measured]) : `not measured: ${r.reason} | | |`} |`,
    ),
    `| **pooled**, median / worst (${measured.length}) | ${pooled(measured)} |`,
    '',
    `Target: resume spread ≤ 33 ms (one frame) ${verdictOf(spreads, (v) => Math.max(...v) <= 33)} ` +
      `(worst ${spreads.length ? Math.round(Math.max(...spreads)) : '–'} ms).`,
    '',
  ].join('\n')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
