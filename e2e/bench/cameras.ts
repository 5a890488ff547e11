/**
 * `BENCH_CAMERAS=1 npm run bench:sync`: what the call costs playback sync. Each run is done twice in the same
 * browser, one pass without cameras and one with the three unthrottled people's cameras and microphones on
 * (Chromium's fake devices), so the steady drift of the two passes is compared on the same machine under the
 * same load; each pass reports the CPU of every page's renderer process (from /proc), of the whole
 * browser and of its busiest threads (by process kind and thread name), as a share of one core over the seek
 * phase.
 */
import { expect, type Page } from '@playwright/test'
import type { Person } from '../lib/room.ts'
import { cpuSpent, processCpuMs, processes, processTree, sampleCpu, type CpuSample } from './procfs.ts'

export const CAMERAS = process.env.BENCH_CAMERAS === '1'
/** `BENCH_CAMERAS_MIC=0`: cameras only, the microphones stay off (what the voices cost, by difference). */
const MICS = process.env.BENCH_CAMERAS_MIC !== '0'

async function browserPids(): Promise<{ renderers: number[]; all: number[] }> {
  const ours = processTree(await processes(), process.pid).filter(
    (p) => p.pid !== process.pid && p.kind !== 'other',
  )
  return {
    renderers: ours.filter((p) => p.kind === 'renderer').map((p) => p.pid),
    all: ours.map((p) => p.pid),
  }
}

async function cpuOf(pids: readonly number[]): Promise<Map<number, number>> {
  const cpu = new Map<number, number>()
  for (const pid of pids) {
    const ms = await processCpuMs(pid)
    if (ms !== null) cpu.set(pid, ms)
  }
  return cpu
}

/**
 * Which renderer process runs each page: each page in turn keeps its main thread busy for a moment, and the
 * renderer whose CPU grew most is its own.
 */
async function rendererOf(pages: readonly Page[]): Promise<(number | null)[]> {
  const found: (number | null)[] = []
  for (const page of pages) {
    const { renderers } = await browserPids()
    const before = await cpuOf(renderers)
    await page.evaluate(() => {
      const until = performance.now() + 300
      while (performance.now() < until) {
        // busy on purpose: this page's renderer is the one that works now
      }
    })
    const after = await cpuOf(renderers)
    let best: number | null = null
    let most = 0
    for (const [pid, ms] of after) {
      const grew = ms - (before.get(pid) ?? ms)
      if (grew > most) [best, most] = [pid, grew]
    }
    found.push(best)
  }
  // A renderer that looked like two pages' is neither's for sure: those pages are reported as unknown.
  return found.map((pid) => (found.filter((other) => other === pid).length > 1 ? null : pid))
}

export interface PassCpu {
  pages: (number | null)[]
  renderers: number
  browser: number
  /** The browser's busiest threads, by process kind and thread name (procfs.ts `sampleCpu`), % of one core. */
  threads: [string, number][]
}

/** How many of the busiest threads a pass reports. */
const THREADS_SHOWN = 12

/**
 * CPU of each page's renderer, of the whole browser and of its busiest threads, as % of one core, between `start`
 * and `stop`.
 */
export class PageCpu {
  #pids: (number | null)[] = []
  #before = new Map<number, number>()
  #browserBefore = 0
  #renderersBefore = 0
  #threadsBefore: CpuSample = new Map()
  #at = 0

  /**
   * Finds each page's renderer. Called before the cameras go on: with them on, every renderer is busy and a
   * page's own busy moment no longer stands out (pages then came out as unknown).
   */
  async identify(pages: readonly Page[]): Promise<void> {
    this.#pids = await rendererOf(pages)
  }

  async start(): Promise<void> {
    this.#before = await cpuOf(this.#pids.filter((pid): pid is number => pid !== null))
    const pids = await browserPids()
    this.#browserBefore = sum(await cpuOf(pids.all))
    this.#renderersBefore = sum(await cpuOf(pids.renderers))
    this.#threadsBefore = await sampleCpu()
    this.#at = performance.now()
  }

  /**
   * Per page (null where its renderer was not found), every renderer together (the pages, and any renderer
   * that started or ended meanwhile counted from its own start or to its end), and the whole browser.
   */
  async stop(): Promise<PassCpu> {
    const seconds = (performance.now() - this.#at) / 1000
    const share = (ms: number) => ms / 10 / seconds
    const after = await cpuOf(this.#pids.filter((pid): pid is number => pid !== null))
    const pages = this.#pids.map((pid) =>
      pid === null || !after.has(pid) ? null : share(after.get(pid)! - (this.#before.get(pid) ?? 0)),
    )
    const pids = await browserPids()
    const browser = share(sum(await cpuOf(pids.all)) - this.#browserBefore)
    const renderers = share(sum(await cpuOf(pids.renderers)) - this.#renderersBefore)
    const threads = cpuSpent(this.#threadsBefore, await sampleCpu())
      .slice(0, THREADS_SHOWN)
      .map(([key, ms]): [string, number] => [key, share(ms)])
    return { pages, renderers, browser, threads }
  }
}

function sum(cpu: Map<number, number>): number {
  let total = 0
  for (const ms of cpu.values()) total += ms
  return total
}

/**
 * These people turn their cameras and microphones on; returns once every one of them sees every other's
 * camera as a playing tile.
 */
export async function camerasOn(people: readonly Person[]): Promise<void> {
  for (const someone of people) {
    await someone.page.getByTestId('camera-toggle').click()
    if (MICS) await someone.page.getByTestId('mic-toggle').click()
  }
  for (const someone of people) {
    const videos = someone.page.getByTestId('cam-video')
    await expect(videos).toHaveCount(people.length - 1, { timeout: 30_000 })
    await videos.evaluateAll((elements) =>
      Promise.all(
        elements.map(
          (element) =>
            new Promise<void>((resolve) =>
              (element as HTMLVideoElement).requestVideoFrameCallback(() => resolve()),
            ),
        ),
      ).then(() => undefined),
    )
  }
}

const percent = (value: number | null) => (value === null ? '?' : `${value.toFixed(0)} %`)

/** Two lines per pass: CPU of every page and of the browser, then of the browser's busiest threads. */
export function formatPageCpu(cameras: boolean, people: readonly Person[], cpu: PassCpu): string {
  const pages = people.map(({ name }, i) => `${name} ${percent(cpu.pages[i] ?? null)}`).join(', ')
  return (
    `  CPU ${cameras ? 'with' : 'without'} cameras (% of one core): ${pages}; all renderers ` +
    `${percent(cpu.renderers)} (${percent(cpu.renderers / people.length)} a page); whole browser ${percent(cpu.browser)}\n` +
    `    busiest threads: ${cpu.threads.map(([key, share]) => `${key} ${share.toFixed(1)} %`).join(', ')}`
  )
}

/**
 * Steady drift p95 of the pass with cameras against the one without: in the same run, or `pooled` over the
 * runs that have both passes (the samples of all those runs together, each pass's p95 over them).
 */
export function compareCameras(
  without: readonly number[],
  withCameras: readonly number[],
  percentile: (values: readonly number[], p: number) => number,
  pooled = '',
): string {
  const a = percentile(without, 95)
  const b = percentile(withCameras, 95)
  const change = a > 0 ? `${(((b - a) / a) * 100).toFixed(0)} %` : '–'
  return `  cameras${pooled}: steady drift p95 ${b.toFixed(1)} ms with three cameras, ${a.toFixed(1)} ms without (${change}; target within 10 %)`
}
