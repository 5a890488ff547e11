/**
 * BENCH_PROFILE=1 (`bench:stream`, `bench:movie`): samples a page's main thread with Chrome's CPU profiler and
 * prints the functions that took the most of it by their own time, `(idle)` included (BENCH_NO_MINIFY=1 keeps
 * their names).
 */
import type { Page } from '@playwright/test'

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
    const self = new Map<string, number>()
    let total = 0
    for (const node of profile.nodes) {
      const micros = byNode.get(node.id) ?? 0
      total += micros
      const { functionName, url, lineNumber } = node.callFrame
      const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
      self.set(key, (self.get(key) ?? 0) + micros)
    }
    log(`  profile of ${name}: ${fmt(total / 1000)} ms sampled`)
    for (const [key, micros] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      log(`    ${fmt(micros / 1000).padStart(6)} ms ${fmt((micros / total) * 100, 1).padStart(5)} % ${key}`)
    }
    await cdp.detach()
  }
}
