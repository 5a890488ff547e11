/**
 * BENCH_PROFILE=1 (`bench:stream`, `bench:movie`): samples a page's main thread with Chrome's CPU profiler and
 * prints the functions that took the most of it by their own time, `(idle)` included (BENCH_NO_MINIFY=1 keeps
 * their names), and for the first few of them the call paths their time came through.
 */
import type { Page } from '@playwright/test'

/** How many of the top functions get their call paths, and how many callers up each path goes. */
const TRACED = 8
const CALLER_DEPTH = 3

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–')

/** Starts sampling `page`; the function it returns stops and prints the top `top` functions under `name`. */
export async function startProfile(
  page: Page,
  log: (line: string) => void,
  top = 20,
): Promise<(name: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 })
  await cdp.send('Profiler.start')
  return async (name: string) => {
    const { profile } = await cdp.send('Profiler.stop')
    const byNode = new Map<number, number>()
    const samples = profile.samples ?? []
    for (const [i, id] of samples.entries()) {
      byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0))
    }
    const parent = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
    const keyOf = (id: number) => {
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame
      return `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
    }
    const self = new Map<string, number>()
    const paths = new Map<string, Map<string, number>>()
    let total = 0
    for (const node of profile.nodes) {
      const micros = byNode.get(node.id) ?? 0
      total += micros
      const key = keyOf(node.id)
      self.set(key, (self.get(key) ?? 0) + micros)
      const callers: string[] = []
      for (
        let up = parent.get(node.id);
        up !== undefined && callers.length < CALLER_DEPTH;
        up = parent.get(up)
      ) {
        callers.push(keyOf(up))
      }
      const byPath = paths.get(key) ?? new Map<string, number>()
      const path = callers.join(' ← ')
      byPath.set(path, (byPath.get(path) ?? 0) + micros)
      paths.set(key, byPath)
    }
    log(`  profile of ${name}: ${fmt(total / 1000)} ms sampled`)
    const ranked = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    for (const [key, micros] of ranked) {
      log(`    ${fmt(micros / 1000).padStart(6)} ms ${fmt((micros / total) * 100, 1).padStart(5)} % ${key}`)
    }
    for (const [key] of ranked.filter(([key]) => !key.startsWith('(')).slice(0, TRACED)) {
      log(`  ${key} ← …`)
      const byPath = [...(paths.get(key) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])
      for (const [path, micros] of byPath.slice(0, 3))
        log(`    ${fmt(micros / 1000).padStart(6)} ms ← ${path}`)
    }
    await cdp.detach()
  }
}
