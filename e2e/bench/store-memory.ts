/**
 * What a downloaded film costs a tab's memory now that pieces live on disk (client/src/lib/torrent/piece-store.ts):
 * Ana drops a ~300 MB WebM (the test video looped, stream copy), Bo streams it all; Bo's browser runs on its
 * own profile on disk (as a person's does: an incognito profile keeps IndexedDB in memory), and the resident
 * memory (VmRSS) of its processes is sampled from /proc while the film downloads.
 *
 *   npm run build:e2e && npx tsx e2e/bench/store-memory.ts
 *   STORE_MEMORY_FILE=e2e/.cache/movie.webm npx tsx e2e/bench/store-memory.ts   # a 1 GB film (make-movie.ts)
 *
 * Prints the file size, Bo's renderer and whole-browser RSS before the drop, at their peak and once the
 * download is complete. Figures only, no pass/fail (docs/streaming.md, "Storage").
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from '@playwright/test'
import { CHROMIUM_ARGS, SYSTEM_CHROMIUM } from '../lib/browser.ts'
import { startApp } from '../lib/fixtures.ts'
import { createRoom, expectMembers, join as joinRoom, person, type Person } from '../lib/room.ts'
import { derivedVideo } from '../scripts/make-test-video.ts'
import { processes, processTree } from './procfs.ts'

const LOOPS = Number(process.env.STORE_MEMORY_LOOPS ?? 300)
const MiB = 1024 * 1024

/** Resident bytes of the browser whose profile is `profile`: its renderers, and all its processes. */
async function browserRss(profile: string): Promise<{ renderer: number; total: number }> {
  const all = await processes()
  const root = all.find(
    (p) => p.cmdline.includes(`--user-data-dir=${profile}`) && !p.cmdline.includes('--type='),
  )
  if (!root) throw new Error('Bo’s browser process not found')
  const procs = processTree(all, root.pid)
  const renderer = procs.filter((p) => p.kind === 'renderer').reduce((s, p) => s + p.rss, 0)
  return { renderer, total: procs.reduce((s, p) => s + p.rss, 0) }
}

function downloaded(page: Page): Promise<number> {
  return page
    .getByTestId('playlist-item')
    .first()
    .getAttribute('data-downloaded')
    .then((v) => Number(v ?? 0))
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`

async function main(): Promise<void> {
  const video =
    process.env.STORE_MEMORY_FILE ??
    (await derivedVideo(`long-x${LOOPS}.webm`, { input: ['-stream_loop', String(LOOPS - 1)] }))
  const { size } = await stat(video)
  const app = await startApp()
  const anaBrowser = await chromium.launch({
    executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
    args: CHROMIUM_ARGS,
  })
  const profile = await mkdtemp(join(os.tmpdir(), 'theatron-bo-'))
  const boContext = await chromium.launchPersistentContext(profile, {
    executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
    args: CHROMIUM_ARGS,
    baseURL: app.baseURL,
  })
  try {
    await boContext.grantPermissions(['camera', 'microphone'])
    await boContext.addInitScript(() => {
      localStorage.setItem('theatron:ice-servers', '[]')
      localStorage.setItem('theatron:trackers', '[]')
    })
    // The torrent's store is what is measured: Bo downloads the film as a torrent from the start.
    const ana = await person(anaBrowser, app.baseURL, 'Ana', { shareEarly: false })
    const boPage = boContext.pages()[0] ?? (await boContext.newPage())
    const bo: Person = { name: 'Bo', context: boContext, page: boPage, close: () => boContext.close() }
    const link = await createRoom(ana)
    await joinRoom(ana, link)
    await joinRoom(bo, link)
    await expectMembers([ana, bo], ['Ana', 'Bo'])
    const before = await browserRss(profile)
    await ana.page.getByTestId('file-input').setInputFiles(video)
    const peak = { ...before }
    const started = Date.now()
    // The renderer's RSS as the download passes each quarter: flat once the cache is full.
    const quarters: string[] = []
    for (;;) {
      const now = await browserRss(profile)
      peak.renderer = Math.max(peak.renderer, now.renderer)
      peak.total = Math.max(peak.total, now.total)
      const got = await downloaded(bo.page).catch(() => 0)
      while (quarters.length < 3 && got >= (size * (quarters.length + 1)) / 4) {
        quarters.push(`${(quarters.length + 1) * 25} %: ${mib(now.renderer)}`)
        // As it passes, so that a download cut short still tells how far the growth followed it.
        console.log(
          `${quarters.at(-1)} after ${((Date.now() - started) / 1000).toFixed(0)} s; renderer before ` +
            `${mib(before.renderer)}, peak ${mib(peak.renderer)}; browser before ${mib(before.total)}, now ${mib(now.total)}`,
        )
      }
      if (got >= size) break
      if (Date.now() - started > 15 * 60_000) throw new Error('the download did not finish in 15 minutes')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const seconds = (Date.now() - started) / 1000
    const after = await browserRss(profile)
    console.log(`file: ${mib(size)}; Bo downloaded it in ${seconds.toFixed(0)} s`)
    console.log(
      `Bo's renderer RSS: ${mib(before.renderer)} before, ${mib(peak.renderer)} peak (+${mib(peak.renderer - before.renderer)}), ${mib(after.renderer)} after`,
    )
    console.log(`Bo's renderer RSS during the download: ${quarters.join(', ')}`)
    console.log(
      `Bo's browser, all processes: ${mib(before.total)} before, ${mib(peak.total)} peak (+${mib(peak.total - before.total)}), ${mib(after.total)} after`,
    )
    await ana.close()
  } finally {
    await boContext.close()
    await anaBrowser.close()
    await app.server.close()
    await rm(profile, { recursive: true, force: true })
  }
}

await main()
