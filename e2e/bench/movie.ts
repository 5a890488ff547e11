/**
 * The movie-sized case of `bench:stream` (issue 19), run with `npm run bench:movie` (or `BENCH_MOVIE=1 npm run
 * bench:stream`); the ordinary bench stays short. Files: e2e/scripts/make-movie.ts (≥ 1 GB, made once and
 * cached in e2e/.cache). Each run is a fresh room of three: the seeder drops the test clip (so something
 * plays), then the film, which joins the playlist unselected; leecher B selects it; then the seeder seeks to 80 %.
 *
 * - drop → item: the seeder's `setInputFiles` to the film's item in B's and C's playlists (a film shared before
 *   it is hashed arrives at once, docs/streaming.md; otherwise hashing is included);
 * - drop → torrent: to the film's info hash in B's playlist (its hashing done);
 * - a film shared before it is hashed: B selects it at once, and item → playing is that click to B's and C's
 *   players playing it (read from the seeder): to the `playing` event's own time stamp (the page's
 *   `theatron:stream:playing:<local key>` mark, as in the paste case), once polling has seen it play; the
 *   polled time, which adds the benchmark's round trips into busy pages (0.1–0.6 s), stands beside it
 *   as `polled`; there is no paste → playing then;
 * - paste → playing: B pastes the film's magnet (a torrent the seeder already seeds; pasting a listed one plays
 *   it for the room) and submits it, to B's and C's first `playing` of it: the person's own action;
 * - item → playing: each leecher's `add` mark (the selected item reached its page and its torrent starts) to its
 *   `playing` mark (the app's figures, as in the short bench);
 * - seek → together: the seek bar set to 80 % in the seeder's page, to all three playing within 0.5 s of each
 *   other past that point: at the last of the three `playing` events past it (their own time stamps), and
 *   when the benchmark's polling saw it (`polled`: adds its round trips into three busy pages);
 * - throughput: what B's and C's torrents verified over the same 8 s while they play (the stream and the rest
 *   of the file): pieces downloaded from the room, and, on a dropped film's path, pieces the player read from
 *   the owner that the torrent took in (torrent/adopt.ts); both crossed a data channel from another page. Beside
 *   it, `from the owner`: all that came over the range protocol in those seconds (the page's own count, the e2e
 *   build's `rangeBytes` hook), whole pieces of which the torrent figure already holds. Against raw data
 *   channels between the same pages carrying the film's first 64 MiB: from the seeder to B alone (`torrent /
 *   raw`: B's rate over it, one member against one channel), and from the seeder to B and to C at once (`(B +
 *   C) / raw to both`: the two downloads together against the two channels together, each at the slower one's
 *   rate, as the torrent's two downloads share the seeder's page the same way). The raw channels run before
 *   anything is dropped, on pages that play nothing yet; the torrent runs while all three pages decode the
 *   film, so the CPU in the 8 s is reported too: the browser's cores (/proc, all its processes) and the
 *   machine's idle share;
 * - paused throughput: at the end of the run the seeder pauses the room; once B's and C's players hold 15 s past
 *   the seek's target (until then they fetch only what the player reads, torrent/background.ts), their downloads
 *   over 8 s with no page decoding are set against the same raw channels: the wire, the checks and the store;
 * - action lag (`action +` in the table): how long after each start mark above the action's own event (the
 *   click that selects or submits, the seek bar's `input`) reached the page: Playwright's actionability checks
 *   and dispatch into a busy page, 0.02–0.9 s in the runs of 2026-12-07. The start marks stay where they are,
 *   so every figure includes it; it is reported so that a reader can tell the bench's part from the app's;
 * - fresh pages (logged per run, not in the table): the page faults of the renderers' main threads and of every
 *   thread of the browser (/proc), per MiB that reached B and C over the 8 s of throughput, and in all from
 *   the select to both playing: the fresh memory the pages touched, which the machine's load does not change
 *   (docs/benchmarks.md, "Fresh memory in the pages");
 * - peak memory: the largest JS heap + ArrayBuffer backing store (CDP `Runtime.getHeapUsage`) of each page;
 *   and the largest growth of the renderers' resident memory (the three pages together, /proc) from the drop
 *   on, against what B's and C's tabs hold of the film at the end (the pieces live in IndexedDB, which in
 *   these incognito contexts is the browser process's memory, so only the renderers are counted).
 *
 * Knobs: BENCH_MOVIE_RUNS=2  BENCH_MOVIE_KINDS=mp4,mp4-faststart,webm  BENCH_MOVIE_SELECT_AFTER_MS=0 (B selects
 * the film this long after it reached both leechers: a person who reads the playlist first)  BENCH_SHARE_EARLY=0 (the seeder waits for
 * the film's torrent before sharing it, `theatron:share-early` = `off`; by default it shares the film before it is
 * hashed, as the app does)  BENCH_MOVIE_RAW=0 (no raw channels: their columns stay empty, a run is ~1 min
 * shorter)  BENCH_TRACE=1 (print every page's steps from the select to playing and from the seek to together:
 * e2e/bench/movie-trace.ts; BENCH_TRACE_FILE=<path> also writes them whole, as JSON lines)  BENCH_PROFILE=1 (each
 * page's main thread over the 8 s of throughput, e2e/bench/profile.ts; `start`: B's and C's from the select's
 * click to both playing)  BENCH_MOVIE_BROWSERS=1 (the three people
 * are three contexts of one browser; `3`: the leechers get browsers of their own, so each person has their own
 * network service, as on three machines; `1,3`: both, interleaved, a row each. In one browser every packet of
 * every person's connections passes one network-service thread, a queue no real room has: docs/benchmarks.md,
 * "One browser or three")
 *
 * A/B: `BENCH_BASELINE_DIST=<a client build>` (e2e/bench/stream.ts) runs every film with that build and with this
 * one, interleaved (baseline, this, this, baseline, …) so both see the same background load; one row per build.
 */
import { appendFileSync } from 'node:fs'
import type { Browser, Page } from '@playwright/test'
import { createRoom, expectMembers, join as joinRoom, person, type Person } from '../lib/room.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'
import { ensureMovie, type MovieKind } from '../scripts/make-movie.ts'
import { browserRss, cpuSpent, machineIdle, sampleCpu, sampleFaults, type CpuSample } from './procfs.ts'
import { clearSteps, formatSteps, MOVIE_PROBE, pageSteps } from './movie-trace.ts'
import { startProfile } from './profile.ts'
import { launchChromium } from '../lib/browser.ts'
import { bufferedAhead } from '../../client/src/lib/media/buffered.ts'
import { MSE_THRESHOLDS } from '../../client/src/lib/torrent/background.ts'

const RUNS = Number(process.env.BENCH_MOVIE_RUNS ?? 2)
const KINDS = (process.env.BENCH_MOVIE_KINDS ?? 'mp4,mp4-faststart,webm').split(',') as MovieKind[]
const SHARE_EARLY = process.env.BENCH_SHARE_EARLY !== '0'
const RAW = process.env.BENCH_MOVIE_RAW !== '0'
const TRACE = process.env.BENCH_TRACE === '1'
const PROFILE = process.env.BENCH_PROFILE === '1'
/** BENCH_PROFILE=start: B's and C's main threads from the select's click to both playing, instead. */
const PROFILE_START = process.env.BENCH_PROFILE === 'start'
/** BENCH_TRACE_FILE=<path>: every page's traced steps, whole, as JSON lines (with BENCH_TRACE=1). */
const TRACE_FILE = process.env.BENCH_TRACE_FILE ?? null
/** `1`: the three people share one browser; `3`: a browser each; `1,3`: both, interleaved. */
const BROWSERS = (process.env.BENCH_MOVIE_BROWSERS ?? '1').split(',').map((n) => {
  if (n.trim() !== '1' && n.trim() !== '3') throw new Error(`BENCH_MOVIE_BROWSERS: 1, 3 or 1,3, not "${n}"`)
  return n.trim() === '3'
})
const RAW_BYTES = 64 * 1024 * 1024
/**
 * BENCH_MOVIE_SELECT_AFTER_MS=<ms>: B selects the film this long after it reached both leechers, as a person who
 * reads the playlist first does (0, the default: at once). A pause a person takes, not a wait for the app: the
 * start mark stays the click.
 */
const SELECT_AFTER_MS = Number(process.env.BENCH_MOVIE_SELECT_AFTER_MS ?? 0)

export type RawChannel = (from: Page, to: Page, path: string, limit?: number) => Promise<number>
/** Both at once; each transfer's milliseconds. */
export type RawChannelToTwo = (
  from: Page,
  to: [Page, Page],
  path: string,
  limit?: number,
) => Promise<number[]>
export interface RawChannels {
  one: RawChannel
  two: RawChannelToTwo
}

interface MovieRun {
  dropToItem: number[]
  dropToTorrent: number[]
  pasteToPlaying: number[]
  /** At the `playing` event's own time stamp (the page's mark). */
  addToPlaying: number[]
  /** When the benchmark's polling saw the element playing: adds its round trips into busy pages. */
  addToPlayingPolled: number[]
  /**
   * How long after the benchmark's mark (taken before it asks Playwright to act) the action's own event reached
   * the page: the `click` that selects the film, the `click` that submits the magnet, the seek bar's `input`.
   * Playwright's checks and dispatch into a busy page; the figures above include it.
   */
  actionLag: { select: number[]; paste: number[]; seek: number[] }
  /** When the benchmark's polling saw all three playing together past the target. */
  seekTogether: number | null
  /** At the last of the three pages' `playing` events past the target (their own time stamps). */
  seekTogetherEvent: number | null
  /** B's and C's download rates over the same seconds while they play. */
  torrentMBps: [number, number]
  /** Of it, what came over the range protocol (the players' reads from the owner), B and C. */
  ownerMBps: [number, number]
  /** B's and C's download rates over the same seconds with the room paused (no page decodes). */
  pausedMBps: [number, number]
  pausedOwnerMBps: [number, number]
  rawMBps: number
  /** Each of the two raw channels' rate when the seeder sends to B and C at once (the slower one's). */
  rawTwoMBps: number
  /** The browser's CPU over the torrent's seconds, in cores (all its processes), and the machine's idle share. */
  browserCores: number
  machineIdle: number
  /** Page faults (docs/benchmarks.md, "Fresh memory in the pages"); `start…` only for a film shared early. */
  freshPages: {
    startMain: number | null
    startAll: number | null
    playMainPerMiB: number
    playAllPerMiB: number
  }
  peakMB: number[]
  /** The largest growth of the renderers' resident memory (all three pages) over its level before the drop. */
  rssGrowthMB: number
  /** What B's and C's tabs hold of the film at the end of the run (downloaded, verified). */
  heldMB: number
}

const log = (line: string) => process.stdout.write(`${line}\n`)

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–')

/** Polls `check` every 50 ms until it is true; the epoch ms it first was, or null after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return Date.now()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return null
}

function markEpoch(page: Page, what: string, infoHash: string): Promise<number | null> {
  return page.evaluate(
    ([name, hash]) => {
      const mark = performance.getEntriesByName(`theatron:stream:${name}:${hash}`)[0]
      return mark ? performance.timeOrigin + mark.startTime : null
    },
    [what, infoHash] as const,
  )
}

/**
 * Records the page's next `click` or `input` event's own time (epoch ms; Playwright's `fill` of a range
 * dispatches its own `input`): when the person's action reached the page, against the benchmark's mark taken
 * before Playwright's checks and dispatch.
 */
async function armAction(page: Page): Promise<() => Promise<number | null>> {
  await page.evaluate(() => {
    const w = window as unknown as { __benchAction?: number | null }
    w.__benchAction = null
    // Inline listeners: a named function here gets tsx's `__name` helper, which the page lacks.
    for (const type of ['click', 'input'])
      document.addEventListener(
        type,
        (event) => {
          if (w.__benchAction === null) w.__benchAction = performance.timeOrigin + event.timeStamp
        },
        { capture: true },
      )
  })
  return () =>
    page.evaluate(() => (window as unknown as { __benchAction?: number | null }).__benchAction ?? null)
}

/** The largest growth of our browser's renderers' resident memory over its level now, sampled every second. */
async function watchRss(): Promise<() => number> {
  const base = await browserRss('renderer')
  let peak = base
  let running = true
  const sample = async () => {
    while (running) {
      peak = Math.max(peak, await browserRss('renderer'))
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  void sample()
  return () => {
    running = false
    return peak - base
  }
}

/** The largest JS heap + ArrayBuffer store of a page, sampled every second until `stop()`. */
async function watchMemory(page: Page): Promise<() => number> {
  const cdp = await page.context().newCDPSession(page)
  let peak = 0
  let running = true
  const sample = async () => {
    while (running) {
      try {
        const usage = (await cdp.send('Runtime.getHeapUsage')) as {
          usedSize: number
          backingStorageSize?: number
        }
        peak = Math.max(peak, usage.usedSize + (usage.backingStorageSize ?? 0))
      } catch {
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  void sample()
  return () => {
    running = false
    return peak
  }
}

/**
 * Records, in the page, the time stamp of the player's first `playing` event at or past `target` (media s):
 * where the seek's end shows on that page, without the benchmark's polling round trips.
 */
async function armPlayingPast(page: Page, target: number): Promise<void> {
  // No named functions inside: the page has no `__name`, which tsx adds to them.
  await page.evaluate((target) => {
    const scope = window as unknown as { __benchPlayingPast?: number | null }
    scope.__benchPlayingPast = null
    document.addEventListener(
      'playing',
      (event) => {
        const video = event.target
        if (!(video instanceof HTMLVideoElement) || video.dataset['testid'] !== 'player') return
        if (video.currentTime < target - 0.05 || scope.__benchPlayingPast) return
        scope.__benchPlayingPast = performance.timeOrigin + event.timeStamp
      },
      true,
    )
  }, target)
}

/** The time stamp `armPlayingPast` recorded (real clock ms), or null. */
function playingPast(page: Page): Promise<number | null> {
  return page.evaluate(
    () => (window as unknown as { __benchPlayingPast?: number | null }).__benchPlayingPast ?? null,
  )
}

async function videoState(
  page: Page,
): Promise<{ t: number; paused: boolean; playing: boolean; duration: number }> {
  return page.evaluate(() => {
    const v = document.querySelector('video[data-testid=player]') as HTMLVideoElement | null
    return {
      t: v?.currentTime ?? 0,
      paused: !v || v.paused,
      playing: !!v && !v.paused && !v.seeking && v.readyState >= 3,
      duration: v && Number.isFinite(v.duration) ? v.duration : 0,
    }
  })
}

/** What the page's tab holds of the film (the playlist's second item), in bytes. */
async function downloaded(page: Page): Promise<number> {
  return Number((await page.getByTestId('playlist-item').nth(1).getAttribute('data-downloaded')) ?? 0)
}

/**
 * B's and C's download rates (MB/s) over the same 8 s (`people`: the seeder, B, C); with BENCH_PROFILE, each
 * page's main thread over them.
 */
async function downloadRates(people: readonly Person[], what: string): Promise<Rates> {
  const leeches = people.slice(1, 3)
  const profiles = PROFILE ? await Promise.all(people.map((someone) => startProfile(someone.page, log))) : []
  const before = await Promise.all(leeches.map((leech) => downloaded(leech.page)))
  const ownerBefore = await Promise.all(leeches.map((leech) => rangeBytes(leech.page)))
  const t0 = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 8000))
  const after = await Promise.all(leeches.map((leech) => downloaded(leech.page)))
  const ownerAfter = await Promise.all(leeches.map((leech) => rangeBytes(leech.page)))
  const seconds = (Date.now() - t0) / 1000
  for (const [i, stop] of profiles.entries()) await stop(`${people[i]!.name} over the 8 s ${what}`)
  const rate = (a: readonly number[], b: readonly number[], i: number) =>
    Math.max(0, b[i]! - a[i]!) / 1e6 / seconds
  return {
    torrent: [rate(before, after, 0), rate(before, after, 1)],
    owner: [rate(ownerBefore, ownerAfter, 0), rate(ownerBefore, ownerAfter, 1)],
  }
}

/** B's and C's rates over one window: what their torrents verified, and what came over the range protocol. */
interface Rates {
  torrent: [number, number]
  owner: [number, number]
}

/** Bytes the page received over the range protocol (NaN from a build without the hook). */
function rangeBytes(page: Page): Promise<number> {
  return page.evaluate(() => {
    const hooks = (window as unknown as { __theatron?: { torrent?: { rangeBytes?: () => number } } })
      .__theatron
    return hooks?.torrent?.rangeBytes?.() ?? Number.NaN
  })
}

/** Seconds the page's player holds buffered past its play head, as the background rule reads them. */
async function bufferedPast(page: Page): Promise<number> {
  const { time, ranges } = await page.evaluate(() => {
    const v = document.querySelector('video[data-testid=player]') as HTMLVideoElement | null
    const buffered = v?.buffered
    return {
      time: v?.currentTime ?? 0,
      ranges: Array.from({ length: buffered?.length ?? 0 }, (_, i) => [buffered!.start(i), buffered!.end(i)]),
    }
  })
  const at = (i: number) => ranges[i] ?? [0, 0]
  return bufferedAhead({ length: ranges.length, start: (i) => at(i)[0]!, end: (i) => at(i)[1]! }, time)
}

/**
 * What each page shows when a leecher does not play: its player, the room's timeline and hold as its playback
 * sync sees them, its sync trace marks, and its last console lines about streaming and sync.
 */
async function diagnose(people: readonly Person[], consoles: Map<string, string[]>): Promise<void> {
  for (const someone of people) {
    const state = await someone.page
      .evaluate(() => {
        const v = document.querySelector('video[data-testid=player]') as HTMLVideoElement | null
        const ahead = (() => {
          if (!v) return 0
          for (let i = 0; i < v.buffered.length; i++)
            if (v.buffered.start(i) <= v.currentTime + 0.1 && v.buffered.end(i) > v.currentTime)
              return v.buffered.end(i) - v.currentTime
          return 0
        })()
        const playback = (window as { __theatron?: { playback?: { timeline(): unknown } } }).__theatron
          ?.playback
        const marks = performance
          .getEntriesByType('mark')
          .filter((m) => m.name.startsWith('theatron:sync:') || m.name.startsWith('theatron:stream:'))
          .slice(-20)
          .map((m) => `${m.name}@${Math.round(m.startTime)}`)
        return {
          video: v && {
            t: v.currentTime,
            paused: v.paused,
            seeking: v.seeking,
            readyState: v.readyState,
            networkState: v.networkState,
            ahead,
            duration: v.duration,
            error: v.error?.message ?? null,
            src: v.currentSrc.slice(0, 40),
          },
          timeline: playback?.timeline() ?? null,
          held: Array.from(
            document.querySelectorAll('[data-testid=sync-waiting], [data-testid=sync-starting]'),
          )
            .map((e) => e.textContent)
            .join(' | '),
          marks,
          now: Math.round(performance.now()),
        }
      })
      .catch((err: unknown) => String(err))
    log(`  ${someone.name}: ${JSON.stringify(state)}`)
    for (const line of (consoles.get(someone.name) ?? []).slice(-15)) log(`    ${line}`)
  }
}

async function oneRun(
  browser: Browser,
  baseURL: string,
  path: string,
  raw: RawChannels,
  ownBrowsers = false,
): Promise<MovieRun> {
  const people: Person[] = []
  const stops: (() => number)[] = []
  const consoles = new Map<string, string[]>()
  const launched: Browser[] = []
  try {
    for (const name of ['Seeder', 'Leech B', 'Leech C']) {
      // One browser per person (BENCH_MOVIE_BROWSERS): the leechers get browsers of their own.
      const theirs = ownBrowsers && name !== 'Seeder' ? await launchChromium() : browser
      if (theirs !== browser) launched.push(theirs)
      const someone = await person(theirs, baseURL, name, { shareEarly: SHARE_EARLY })
      if (TRACE) await someone.page.context().addInitScript({ content: MOVIE_PROBE })
      const lines: string[] = []
      consoles.set(name, lines)
      someone.page.on('console', (message) => {
        if (
          message.type() === 'warning' ||
          message.type() === 'error' ||
          /stream|range|sync/.test(message.text())
        )
          lines.push(
            `${new Date().toISOString().slice(11, 23)} ${message.type()}: ${message.text().slice(0, 300)}`,
          )
      })
      people.push(someone)
    }
    const [seeder, b, c] = people as [Person, Person, Person]
    const link = await createRoom(seeder)
    for (const someone of people) await joinRoom(someone, link)
    await expectMembers(people, ['Seeder', 'Leech B', 'Leech C'])
    for (const someone of people) stops.push(await watchMemory(someone.page))
    const rawMs = RAW ? await raw.one(seeder.page, b.page, path, RAW_BYTES) : Number.NaN
    const rawTwoMs = RAW
      ? Math.max(...(await raw.two(seeder.page, [b.page, c.page], path, RAW_BYTES)))
      : Number.NaN

    // Something plays first, so the film joins the playlist unselected.
    await seeder.page.getByTestId('file-input').setInputFiles(await ensureTestVideo())
    await b.page.getByTestId('playlist-item').first().waitFor({ timeout: 60_000 })

    const stopRss = await watchRss()
    stops.push(stopRss)
    const dropped = Date.now()
    await seeder.page.getByTestId('file-input').setInputFiles(path)
    const dropToItem: number[] = []
    for (const leech of [b, c]) {
      const at = await until(
        async () => (await leech.page.getByTestId('playlist-item').count()) >= 2,
        180_000,
      )
      if (at === null) throw new Error(`${leech.name}: the film never reached the playlist`)
      dropToItem.push(at - dropped)
    }
    if (SELECT_AFTER_MS > 0) await new Promise((resolve) => setTimeout(resolve, SELECT_AFTER_MS))
    const film = b.page.getByTestId('playlist-item').nth(1)
    const pasteToPlaying: number[] = []
    const addToPlaying: number[] = []
    const addToPlayingPolled: number[] = []
    const actionLag: MovieRun['actionLag'] = { select: [], paste: [], seek: [] }
    const early = (await film.getAttribute('data-kind')) === 'local'
    let faultsBefore: CpuSample = new Map()
    let startFaults: FreshPages | null = null
    if (early) {
      const localKey = (await film.getAttribute('data-local-key')) ?? ''
      const clickAt = await armAction(b.page)
      const profiles = PROFILE_START
        ? await Promise.all([b, c].map((leech) => startProfile(leech.page, log)))
        : []
      faultsBefore = await sampleFaults()
      const selected = Date.now()
      await film.getByTestId('playlist-select').click()
      const clicked = await clickAt()
      if (clicked !== null) actionLag.select.push(clicked - selected)
      for (const leech of [b, c]) {
        const at = await until(async () => {
          const state = await videoState(leech.page)
          return state.playing && state.duration > 60
        }, 120_000)
        if (at === null) {
          await diagnose(people, consoles)
          throw new Error(`${leech.name}: the film never played from the seeder`)
        }
        addToPlayingPolled.push(at - selected)
        const event = await markEpoch(leech.page, 'playing', localKey)
        if (event === null) log(`${leech.name}: no playing mark for the film; its polled time stands`)
        addToPlaying.push((event ?? at) - selected)
      }
      startFaults = freshPages(faultsBefore, await sampleFaults())
      for (const [i, stop] of profiles.entries()) await stop(`${[b, c][i]!.name} from the select to playing`)
      if (TRACE) await logSteps('select → playing', people, selected)
    }
    const hashed = await until(
      async () => ((await film.getAttribute('data-info-hash')) ?? '') !== '',
      300_000,
    )
    if (hashed === null) throw new Error('the film never got its torrent')
    const dropToTorrent = [hashed - dropped]
    const infoHash = (await film.getAttribute('data-info-hash')) ?? ''
    await b.page.getByTestId('magnet-input').fill(`magnet:?xt=urn:btih:${infoHash}`)
    const submitAt = await armAction(b.page)
    const pasted = Date.now()
    await b.page.getByTestId('magnet-submit').click()
    const submitted = await submitAt()
    if (submitted !== null) actionLag.paste.push(submitted - pasted)
    for (const leech of early ? [] : [b, c]) {
      const at = await until(async () => (await markEpoch(leech.page, 'playing', infoHash)) !== null, 120_000)
      if (at === null) throw new Error(`${leech.name}: the film never played`)
      const [add, playing] = await Promise.all([
        markEpoch(leech.page, 'add', infoHash),
        markEpoch(leech.page, 'playing', infoHash),
      ])
      pasteToPlaying.push(playing! - pasted)
      if (add !== null) addToPlaying.push(playing! - add)
    }

    // Throughput while they play: B's and C's torrents over the same 8 s, and the CPU meanwhile.
    const [cpu0, idle0, faults0] = [await sampleCpu(), await machineIdle(), await sampleFaults()]
    const t0 = Date.now()
    const playing = await downloadRates(people, 'while they play')
    const [torrentB, torrentC] = playing.torrent
    const seconds = (Date.now() - t0) / 1000
    const idle1 = await machineIdle()
    const browserMs = cpuSpent(cpu0, await sampleCpu()).reduce((sum, [, ms]) => sum + ms, 0)
    const playFaults = freshPages(faults0, await sampleFaults())
    // What reached B and C in the window: their torrents' verified pieces and the owner's range answers.
    const receivedMiB =
      ((torrentB ?? 0) + (torrentC ?? 0) + playing.owner[0] + playing.owner[1]) * seconds * (1e6 / 2 ** 20)
    log(
      `  fresh pages while they play: renderers' main threads ${Math.round(playFaults.main / receivedMiB)} ` +
        `a MiB received, every thread of the browser ${Math.round(playFaults.all / receivedMiB)} ` +
        `(${playFaults.main} and ${playFaults.all} in ${seconds.toFixed(1)} s, ${receivedMiB.toFixed(1)} MiB)`,
    )
    if (startFaults)
      log(
        `  fresh pages from the select to both playing: renderers' main threads ${startFaults.main}, ` +
          `every thread of the browser ${startFaults.all}`,
      )

    // Seek to 80 %: all three playing together past it.
    const duration = await seeder.page.evaluate(
      () => (document.querySelector('video[data-testid=player]') as HTMLVideoElement).duration,
    )
    const target = Math.floor(duration * 0.8)
    if (TRACE) for (const someone of people) await clearSteps(someone.page)
    for (const someone of people) await armPlayingPast(someone.page, target)
    const seekAt = await armAction(seeder.page)
    const seeked = Date.now()
    await seeder.page.getByTestId('seek-bar').fill(String(target))
    const sought = await seekAt()
    if (sought !== null) actionLag.seek.push(sought - seeked)
    const together = await until(async () => {
      const states = await Promise.all(people.map((p) => videoState(p.page)))
      const times = states.map((s) => s.t)
      return states.every((s) => s.playing && s.t >= target) && Math.max(...times) - Math.min(...times) <= 0.5
    }, 60_000)
    if (together === null) {
      log(`  the seek to ${target} s did not bring the three together within 60 s:`)
      await diagnose(people, consoles)
    }
    const playedPast = await Promise.all(people.map((someone) => playingPast(someone.page)))
    const seekTogetherEvent =
      together !== null && playedPast.every((at) => at !== null)
        ? Math.max(...(playedPast as number[])) - seeked
        : null
    if (TRACE) await logSteps(`seek to ${target} s → together`, people, seeked)
    const heldMB = ((await downloaded(b.page)) + (await downloaded(c.page))) / 1e6
    const rssGrowthMB = stopRss() / 1e6
    const peakMB = stops.slice(0, 3).map((stop) => stop() / 1e6)

    // Throughput with the room paused: the same 8 s with nothing decoding, the wire, checks and store alone.
    await seeder.page.getByTestId('play-toggle').click()
    const paused = await until(
      async () => (await Promise.all(people.map((p) => videoState(p.page)))).every((s) => s.paused),
      10_000,
    )
    let stillRates: Rates = { torrent: [Number.NaN, Number.NaN], owner: [Number.NaN, Number.NaN] }
    // The seek's target has little buffered past it, and until the players hold MSE_THRESHOLDS.resume ahead,
    // the leechers fetch only what the players read (torrent/background.ts): the wire is measured once they do.
    const filled =
      paused === null
        ? null
        : await until(async () => {
            const ahead = await Promise.all([b, c].map((leech) => bufferedPast(leech.page)))
            return ahead.every((held) => held >= MSE_THRESHOLDS.resume)
          }, 30_000)
    if (paused !== null)
      log(
        `  paused → ${MSE_THRESHOLDS.resume} s buffered at B and C: ${filled === null ? 'not within 30 s' : `${filled - paused} ms`}`,
      )
    if (paused !== null && filled !== null) {
      stillRates = await downloadRates(people, 'paused')
    } else if (paused === null) log('  the room did not pause within 10 s: no paused throughput')
    return {
      rssGrowthMB,
      heldMB,
      dropToItem,
      dropToTorrent,
      pasteToPlaying,
      addToPlaying,
      addToPlayingPolled,
      actionLag,
      seekTogether: together === null ? null : together - seeked,
      seekTogetherEvent,
      torrentMBps: [torrentB, torrentC],
      ownerMBps: playing.owner,
      rawMBps: RAW_BYTES / 1e6 / (rawMs / 1000),
      rawTwoMBps: RAW_BYTES / 1e6 / (rawTwoMs / 1000),
      browserCores: browserMs / 1000 / seconds,
      machineIdle: (idle1.idle - idle0.idle) / (idle1.total - idle0.total),
      peakMB,
      pausedMBps: stillRates.torrent,
      pausedOwnerMBps: stillRates.owner,
      freshPages: {
        startMain: startFaults?.main ?? null,
        startAll: startFaults?.all ?? null,
        playMainPerMiB: playFaults.main / receivedMiB,
        playAllPerMiB: playFaults.all / receivedMiB,
      },
    }
  } finally {
    for (const stop of stops) stop()
    await Promise.all(people.map((someone) => someone.close()))
    await Promise.all(launched.map((b) => b.close()))
  }
}

/** Page faults between two samples: the renderers' main threads, and every thread of the browser. */
interface FreshPages {
  main: number
  all: number
}

function freshPages(before: CpuSample, after: CpuSample): FreshPages {
  const spent = cpuSpent(before, after)
  const sum = (parts: [string, number][]) => parts.reduce((total, [, n]) => total + n, 0)
  return { main: sum(spent.filter(([key]) => key === 'renderer main')), all: sum(spent) }
}

/** A client build the bench serves: its name in the table and the server's URL. */
export interface MovieBuild {
  name: string
  url: string
}

/** BENCH_TRACE=1: every page's steps from `since` (real clock ms) on. */
async function logSteps(what: string, people: readonly Person[], since: number): Promise<void> {
  log(`  ${what}, ms after the action:`)
  for (const someone of people) {
    const steps = await pageSteps(someone.page, since)
    if (TRACE_FILE) appendFileSync(TRACE_FILE, `${JSON.stringify({ what, who: someone.name, steps })}\n`)
    log(`    ${someone.name}: ${formatSteps(steps)}`)
  }
}

/** Every movie kind, `RUNS` times; returns the docs section's table. */
export async function movieBench(
  browser: Browser,
  builds: readonly MovieBuild[],
  raw: RawChannels,
): Promise<string> {
  // Each build in each browser setup; a row's label names what varies between the rows.
  const browsersVary = BROWSERS.length > 1 || BROWSERS[0] === true
  const setups = BROWSERS.flatMap((own) =>
    builds.map((build) => {
      const parts = [
        builds.length > 1 ? build.name : null,
        browsersVary ? (own ? 'a browser each' : 'one browser') : null,
      ]
      return { ...build, own, name: parts.filter((part) => part !== null).join(', ') }
    }),
  )
  const varies = [builds.length > 1 ? 'build' : null, browsersVary ? 'browsers' : null].filter(
    (part) => part !== null,
  )
  const lines = [
    `| film${varies.length ? ` (${varies.join(', ')})` : ''} | runs | drop → item (median / worst) | drop → torrent | paste → playing | item → playing | seek 80 % → together (event; polled) | torrent B, C | raw to B / to both (each) | torrent / raw: B / raw to B, (B + C) / raw to both | paused: torrent B, C; / raw (B, B + C) | CPU meanwhile: browser cores, machine idle | peak page memory (seeder / B / C) | renderers’ RSS growth / held by B + C |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const kind of KINDS) {
    const path = await ensureMovie(kind)
    const byBuild = new Map<string, MovieRun[]>(setups.map((build) => [build.name, []]))
    for (let i = 0; i < RUNS; i++) {
      // The order alternates, so neither build always runs right after the other.
      const order = i % 2 ? [...setups].reverse() : setups
      for (const build of order) {
        const label = `${kind}${build.name ? ` (${build.name})` : ''} run ${i + 1}/${RUNS}`
        try {
          const run = await oneRun(browser, build.url, path, raw, build.own)
          byBuild.get(build.name)!.push(run)
          log(`${label}: ${JSON.stringify(run)}`)
        } catch (err) {
          log(`${label} failed: ${String(err)}`)
        }
      }
    }
    for (const build of setups)
      lines.push(row(build.name ? `${kind} (${build.name})` : kind, byBuild.get(build.name)!))
  }
  return `${lines.join('\n')}\n`
}

/** One row of the table: medians / worst over `runs`. */
function row(label: string, runs: readonly MovieRun[]): string {
  const all = (pick: (r: MovieRun) => number[]) => runs.flatMap(pick)
  const mw = (values: number[], unit = ' ms') =>
    `${fmt(median(values))} / ${fmt(values.length ? Math.max(...values) : Number.NaN)}${unit}`
  /** The action's own event after the benchmark's mark, when it was seen: "action +median / worst". */
  const lag = (values: number[], before = ' ') => (values.length ? `${before}action +${mw(values, '')}` : '')
  const pastes = all((r) => r.pasteToPlaying)
  const seeks = runs.flatMap((r) => (r.seekTogether === null ? [] : [r.seekTogether]))
  const seekEvents = runs.flatMap((r) => (r.seekTogetherEvent === null ? [] : [r.seekTogetherEvent]))
  const [torrentB, torrentC] = [0, 1].map((i) => median(runs.map((r) => r.torrentMBps[i]!)))
  const rawMBps = median(runs.map((r) => r.rawMBps))
  const rawTwoMBps = median(runs.map((r) => r.rawTwoMBps))
  const alone = median(runs.map((r) => r.torrentMBps[0] / r.rawMBps))
  const both = median(runs.map((r) => (r.torrentMBps[0] + r.torrentMBps[1]) / (2 * r.rawTwoMBps)))
  const [pausedB, pausedC] = [0, 1].map((i) => median(runs.map((r) => r.pausedMBps[i]!)))
  const owner = (pick: (r: MovieRun) => [number, number]) =>
    [0, 1].map((i) => fmt(median(runs.map((r) => pick(r)[i]!)), 1)).join(', ')
  const pausedAlone = median(runs.map((r) => r.pausedMBps[0] / r.rawMBps))
  const pausedBoth = median(runs.map((r) => (r.pausedMBps[0] + r.pausedMBps[1]) / (2 * r.rawTwoMBps)))
  const peaks = [0, 1, 2].map((i) => Math.max(...runs.map((r) => r.peakMB[i] ?? 0)))
  return (
    `| ${label} | ${runs.length}/${RUNS} | ${mw(all((r) => r.dropToItem))} | ${mw(all((r) => r.dropToTorrent))} | ` +
    `${mw(pastes)}${pastes.length ? lag(all((r) => r.actionLag.paste)) : ''} | ` +
    `${mw(all((r) => r.addToPlaying))} (polled ${mw(
      all((r) => r.addToPlayingPolled),
      '',
    )}${lag(
      all((r) => r.actionLag.select),
      '; ',
    )}) | ` +
    `${mw(seekEvents)} (polled ${mw(seeks, '')}; ${seeks.length} of ${runs.length}${lag(
      all((r) => r.actionLag.seek),
      '; ',
    )}) | ` +
    `${fmt(torrentB!, 1)}, ${fmt(torrentC!, 1)} MB/s (from the owner ${owner((r) => r.ownerMBps)}) | ` +
    `${fmt(rawMBps, 1)} / ${fmt(rawTwoMBps, 1)} MB/s | ` +
    `${fmt(alone * 100)} %, ${fmt(both * 100)} % | ` +
    `${fmt(pausedB!, 1)}, ${fmt(pausedC!, 1)} MB/s (from the owner ${owner((r) => r.pausedOwnerMBps)}); ` +
    `${fmt(pausedAlone * 100)} %, ${fmt(pausedBoth * 100)} % | ` +
    `${fmt(median(runs.map((r) => r.browserCores)), 2)}, ${fmt(median(runs.map((r) => r.machineIdle)) * 100)} % | ` +
    `${peaks.map((p) => fmt(p)).join(' / ')} MB | ` +
    `${fmt(Math.max(...runs.map((r) => r.rssGrowthMB)))} / ${fmt(median(runs.map((r) => r.heldMB)))} MB |`
  )
}
