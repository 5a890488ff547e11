/**
 * This benchmark's own browser as Linux sees it, from /proc:
 * - CPU time by process kind and thread name: what a transfer costs in CPU, which a loaded machine does not
 *   change the way it changes wall-clock times (`BENCH_CPU=1 npm run bench:stream`, e2e/bench/stream.ts);
 * - resident memory (VmRSS) of all its processes (`npm run bench:movie`, e2e/bench/movie.ts), or of another
 *   browser's process tree (e2e/bench/store-memory.ts).
 */
import { readdir, readFile } from 'node:fs/promises'

/** CPU milliseconds (or another count) per `kind thread-name`, e.g. `renderer main`, `renderer Media`. */
export type CpuSample = Map<string, number>

const TICK_MS = 10 // USER_HZ is 100 on Linux

export interface Proc {
  pid: number
  ppid: number
  cmdline: string
  /** Chromium's process type (`renderer`, `gpu-process`, `utility:…`), `browser`, or `other` */
  kind: string
  /** resident bytes */
  rss: number
}

/** Every process on the machine, as /proc lists it now. */
export async function processes(): Promise<Proc[]> {
  const out: Proc[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8')
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ')
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0)
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
      const kind = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? (cmdline.includes('chrom') ? 'browser' : 'other')
      const service = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1]
      out.push({
        pid: Number(entry),
        ppid,
        cmdline,
        rss,
        kind: service ? `${kind}:${service.split('.').pop()}` : kind,
      })
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

/** `root` and every process descended from it, among `all`. */
export function processTree(all: readonly Proc[], root: number): Proc[] {
  const tree = new Set([root])
  for (let grew = true; grew;) {
    grew = false
    for (const p of all)
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid)
        grew = true
      }
  }
  return all.filter((p) => tree.has(p.pid))
}

/** The processes descended from this Node process (the browser Playwright launched and its children). */
async function ours(): Promise<Proc[]> {
  return processTree(await processes(), process.pid).filter(
    (p) => p.pid !== process.pid && p.kind !== 'other',
  )
}

/**
 * Resident bytes of our browser's processes of one kind (`renderer`: the pages, and their workers), or of all
 * of them (renderers, GPU, network, storage, the browser itself).
 */
export async function browserRss(kind?: string): Promise<number> {
  const procs = (await ours()).filter((p) => kind === undefined || p.kind === kind)
  return procs.reduce((sum, p) => sum + p.rss, 0)
}

/** The machine's cumulative idle and total CPU time, in ticks of all cores (/proc/stat). */
export async function machineIdle(): Promise<{ idle: number; total: number }> {
  const ticks = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  return { idle: (ticks[3] ?? 0) + (ticks[4] ?? 0), total: ticks.reduce((sum, t) => sum + t, 0) }
}

/** The CPU ms in a `/proc/…/stat` line: its utime and stime. */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

/** CPU ms a process has used (all its threads), or null once it is gone. */
export async function processCpuMs(pid: number): Promise<number | null> {
  try {
    return statCpuMs(await readFile(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

/** Cumulative CPU time of every thread of our browser, summed by process kind and thread name. */
export function sampleCpu(): Promise<CpuSample> {
  return sampleThreads(statCpuMs)
}

/**
 * Cumulative minor page faults of every thread of our browser, summed by process kind and thread name: the
 * fresh memory it touched, a page (4 KiB) per fault. On the machine of docs/benchmarks.md, "Fresh memory in
 * the pages", each one costs ~14 µs; the count itself does not depend on the machine's load.
 */
export function sampleFaults(): Promise<CpuSample> {
  return sampleThreads((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]))
}

/** `read` of every thread's `/proc/…/stat` line, summed by process kind and thread name. */
async function sampleThreads(read: (stat: string) => number): Promise<CpuSample> {
  const sample: CpuSample = new Map()
  for (const proc of await ours()) {
    let tids: string[]
    try {
      tids = await readdir(`/proc/${proc.pid}/task`)
    } catch {
      continue
    }
    for (const tid of tids) {
      try {
        const stat = await readFile(`/proc/${proc.pid}/task/${tid}/stat`, 'utf8')
        // A process's main thread keeps the process's own name (`chromium`): it is called `main` here.
        const name =
          tid === String(proc.pid)
            ? 'main'
            : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '')
        const key = `${proc.kind} ${name}`
        sample.set(key, (sample.get(key) ?? 0) + read(stat))
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return sample
}

/** CPU ms spent between two samples, per key, largest first (threads that ended in between are left out). */
export function cpuSpent(before: CpuSample, after: CpuSample): [string, number][] {
  const spent: [string, number][] = []
  for (const [key, ms] of after) {
    const delta = ms - (before.get(key) ?? 0)
    if (delta > 0) spent.push([key, delta])
  }
  return spent.sort((a, b) => b[1] - a[1])
}

/** One line: the total and the largest parts, each per MiB moved. */
export function formatCpu(label: string, spent: [string, number][], bytes: number): string {
  const mib = bytes / 2 ** 20
  const total = spent.reduce((sum, [, ms]) => sum + ms, 0)
  const parts = spent
    .slice(0, 8)
    .map(([key, ms]) => `${key} ${(ms / mib).toFixed(1)}`)
    .join(', ')
  return `  CPU ${label}: ${(total / mib).toFixed(1)} ms/MiB (${Math.round(total)} ms) — ${parts}`
}
