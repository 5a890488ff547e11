/**
 * `npm run bench:hash`: how fast a page hashes a dropped film (issue 19, point 2), against the two ceilings it
 * runs into, measured side by side in one page of Debian's Chromium:
 *
 * - `app`: the app's own `hashPieces` (client/src/lib/torrent/piece-hash.ts) on a `File` picked through an
 *   `<input type=file>`, in the app's Web Workers (client/src/lib/torrent/hash-worker.ts), 1 MiB pieces as
 *   the app picks for a 1 GB film;
 * - `read only`: the same file read the app's way (its stream, into one reused buffer, `readChunks`) by the
 *   same number of workers, nothing hashed (what Chromium's file reads alone allow);
 * - `SHA-1 only`: WebCrypto SHA-1 of 1 MiB pieces of a buffer already in each worker's memory (what native
 *   SHA-1 alone allows);
 * - `WebAssembly SHA-1 only`: the same with hash-wasm's SHA-1, the app's other candidate
 *   (client/src/lib/torrent/sha1.ts).
 *
 * Each `app` run also prints which SHA-1 the app's workers chose, and what they measured of each; every `app`
 * and `baseline` run is checked against the pieces Node hashes (the benchmark stops on a wrong one).
 *
 * The variants are interleaved per round (app, read, sha, …, then the next round starts with the next one), so a
 * change in the machine's load falls on all of them. Knobs: BENCH_HASH_MB=1024 (file size), BENCH_HASH_RUNS=3,
 * BENCH_HASH_WORKERS=2, BENCH_WRITE=0 (print only), BENCH_HASH_BASELINE=<another checkout's
 * client/src/lib/torrent/> (adds `baseline`: that checkout's hashing, interleaved with the rest, for an A/B).
 * Writes docs/benchmarks.md, section "Hashing a dropped film".
 */
import { mkdir, open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import os from 'node:os'
import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { launchChromium } from '../lib/browser.ts'
import { CACHE_DIR } from '../scripts/make-test-video.ts'
import { writeSection } from './doc-section.ts'

const MB = Number(process.env.BENCH_HASH_MB ?? 1024)
const RUNS = Number(process.env.BENCH_HASH_RUNS ?? 3)
const WORKERS = Number(process.env.BENCH_HASH_WORKERS ?? 2)
const WRITE = process.env.BENCH_WRITE !== '0'
const HASH_SOURCE = fileURLToPath(new URL('../../client/src/lib/torrent/', import.meta.url))
const BASELINE_SOURCE = process.env.BENCH_HASH_BASELINE

type Variant = 'app' | 'base' | 'read' | 'sha' | 'wasm'
const VARIANTS: readonly Variant[] = BASELINE_SOURCE
  ? ['app', 'base', 'read', 'sha', 'wasm']
  : ['app', 'read', 'sha', 'wasm']
const LABEL: Record<Variant, string> = {
  app: 'app (read + SHA-1)',
  base: 'baseline (read + SHA-1)',
  read: 'read only',
  sha: 'SHA-1 only',
  wasm: 'WebAssembly SHA-1 only',
}

/** A file of `mb` MiB of random bytes (what is in it does not change SHA-1's speed), made once and cached. */
async function benchFile(mb: number): Promise<string> {
  const path = join(CACHE_DIR, `hash-${mb}mib.bin`)
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  )
  if (size === mb * 1024 * 1024) return path
  await mkdir(CACHE_DIR, { recursive: true })
  const block = randomBytes(16 * 1024 * 1024)
  const file = await open(path, 'w')
  try {
    for (let written = 0; written < mb * 1024 * 1024; written += block.length) {
      await file.write(block, 0, Math.min(block.length, mb * 1024 * 1024 - written))
    }
  } finally {
    await file.close()
  }
  return path
}

/** The SHA-1 of the file's 1 MiB pieces' SHA-1s, by Node: what a hashing run must give. */
async function piecesDigest(path: string): Promise<string> {
  const pieces = createHash('sha1')
  const file = await open(path, 'r')
  try {
    const piece = Buffer.alloc(1024 * 1024)
    for (;;) {
      const { bytesRead } = await file.read(piece, 0, piece.length)
      if (bytesRead === 0) break
      pieces.update(createHash('sha1').update(piece.subarray(0, bytesRead)).digest())
    }
  } finally {
    await file.close()
  }
  return pieces.digest('hex')
}

/** The app's hashing module and worker, and a bench worker for the two ceilings, bundled for the page. */
async function bundles(): Promise<Record<string, string>> {
  const one = async (stdin: string, resolveDir = HASH_SOURCE): Promise<string> => {
    const out = await build({
      stdin: { contents: stdin, resolveDir, loader: 'ts' },
      bundle: true,
      format: 'iife',
      write: false,
      target: 'es2022',
    })
    return out.outputFiles[0]?.text ?? ''
  }
  return {
    '/hash.js': await one(
      `import { hashPieces } from './piece-hash.ts'; import { sha1Detail } from './sha1.ts'; Object.assign(self, { hashPieces, sha1Detail })`,
    ),
    '/hash-worker.js': await one(`import './hash-worker.ts'`),
    '/ceiling-worker.js': await one(CEILING_WORKER),
    ...(BASELINE_SOURCE
      ? {
          '/base.js': await one(
            `import { hashPieces } from './piece-hash.ts'; (self as any).baseHashPieces = hashPieces`,
            BASELINE_SOURCE,
          ),
          '/base-worker.js': await one(`import './hash-worker.ts'`, BASELINE_SOURCE),
        }
      : {}),
  }
}

/**
 * Reads (or, for `sha` and `wasm`, digests an in-memory buffer of) `bytes` bytes in 16 MiB slices; answers the
 * count.
 */
const CEILING_WORKER = `
import { wasmSha1, webCryptoSha1 } from './sha1.ts'
import { CHUNK_BYTES, readChunks } from './piece-hash.ts'
const SLICE = 16 * 1024 * 1024
const PIECE = 1024 * 1024
self.onmessage = async ({ data }) => {
  const { mode, blob, from, to } = data
  if (mode === 'read') {
    for await (const chunk of readChunks(blob.slice(from, to).stream(), CHUNK_BYTES)) void chunk
  } else {
    const buffer = new Uint8Array(SLICE).map((_, i) => i * 31)
    const sha1 = mode === 'wasm' ? await wasmSha1() : webCryptoSha1
    for (let at = from; at < to; at += SLICE) {
      const digests = []
      for (let p = 0; p < SLICE && at + p < to; p += PIECE) {
        digests.push(sha1(buffer.subarray(p, p + PIECE)))
      }
      await Promise.all(digests)
    }
  }
  self.postMessage(to - from)
}
`

async function main(): Promise<void> {
  const path = await benchFile(MB)
  const expected = await piecesDigest(path)
  const files = await bundles()
  // A page on 127.0.0.1 is a secure context, which WebCrypto needs.
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname
    const body = pathname === '/' ? PAGE : files[pathname]
    res.writeHead(body === undefined ? 404 : 200, {
      'content-type': pathname === '/' ? 'text/html' : 'text/javascript',
    })
    res.end(body ?? '')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const browser = await launchChromium()
  const version = browser.version()
  const loadBefore = os.loadavg()
  const results: Record<Variant, number[]> = { app: [], base: [], read: [], sha: [], wasm: [] }
  try {
    const page = await browser.newPage()
    await page.goto(origin)
    await page.locator('#file').setInputFiles(path)
    for (let run = 0; run < RUNS; run++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const variant = VARIANTS[(run + i) % VARIANTS.length] as Variant
        const { ms, sha1, pieces } = await page.evaluate(
          ([v, w]) =>
            (
              window as unknown as {
                measure(v: string, w: number): Promise<{ ms: number; sha1?: string; pieces?: string }>
              }
            ).measure(v, w),
          [variant, WORKERS] as const,
        )
        if (pieces !== undefined && pieces !== expected) {
          throw new Error(
            `${LABEL[variant]} hashed the file wrong: its pieces' SHA-1 is ${pieces}, not ${expected}`,
          )
        }
        results[variant].push(ms)
        console.log(
          `run ${run + 1}: ${LABEL[variant]} ${fmt(MB / 1.048576 / (ms / 1000))} MB/s (${fmt(ms)} ms)${sha1 ? `; workers chose: ${sha1}` : ''}`,
        )
      }
    }
  } finally {
    await browser.close()
    server.close()
  }
  report(results, version, loadBefore, os.loadavg())
}

/** In the page (plain JS: tsx would wrap named TypeScript helpers in a `__name` the page lacks): one variant
 * over the whole picked file; answers its wall time in ms, for `app` the SHA-1 each worker chose, and for `app`
 * and `baseline` the SHA-1 of the pieces' hashes, which the benchmark checks against Node's. */
const MEASURE = `
const hex = async (pieces) =>
  Array.from(new Uint8Array(await crypto.subtle.digest('SHA-1', pieces)), (b) => b.toString(16).padStart(2, '0')).join('')
window.measure = async (variant, workers) => {
  const file = document.getElementById('file').files[0]
  if (!file) throw new Error('no file picked')
  const start = performance.now()
  if (variant === 'app') {
    const chose = []
    const onSha1 = (report) => chose.push(JSON.stringify(window.sha1Detail(report)))
    const pieces = await window.hashPieces(file, 1024 * 1024, { workers, onSha1, createWorker: () => new Worker('/hash-worker.js') })
    return { ms: performance.now() - start, sha1: chose.join('; '), pieces: await hex(pieces) }
  }
  if (variant === 'base') {
    const pieces = await window.baseHashPieces(file, 1024 * 1024, { workers, createWorker: () => new Worker('/base-worker.js') })
    return { ms: performance.now() - start, pieces: await hex(pieces) }
  }
  const slice = 16 * 1024 * 1024
  const share = Math.ceil(file.size / workers / slice) * slice
  const jobs = []
  for (let w = 0; w < workers; w++) {
    const worker = new Worker('/ceiling-worker.js')
    const from = w * share
    const to = Math.min(file.size, from + share)
    jobs.push(new Promise((resolve) => {
      worker.onmessage = () => { worker.terminate(); resolve() }
      worker.postMessage({ mode: variant, blob: file, from, to })
    }))
  }
  await Promise.all(jobs)
  return { ms: performance.now() - start }
}
`

const PAGE = `<!doctype html><input type="file" id="file"><script src="/hash.js"></script>${BASELINE_SOURCE ? '<script src="/base.js"></script>' : ''}<script>${MEASURE}</script>`

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1)
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function report(
  results: Record<Variant, number[]>,
  version: string,
  before: number[],
  after: number[],
): void {
  const mbps = (ms: number) => MB / 1.048576 / (ms / 1000)
  const rows = VARIANTS.map((v) => {
    const speeds = results[v].map(mbps)
    return `| ${LABEL[v]} | ${fmt(median(speeds))} MB/s | ${speeds.map(fmt).join(', ')} |`
  })
  const app = median(results.app.map(mbps))
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ')
  const section = [
    '## Hashing a dropped film',
    '',
    `Command: \`npm run bench:hash\` (e2e/bench/hash.ts), ${RUNS} runs of each, interleaved. Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Debian's Chromium ${version}; load average ${load(before)} before, ${load(after)} after (the machine is shared).`,
    '',
    `A ${MB} MiB file picked through \`<input type=file>\`, 1 MiB pieces, ${WORKERS} Web Workers. \`app\` is the app's`,
    '`hashPieces`; `read only` and the two `SHA-1 only` are its ceilings (the file read the same way with nothing',
    "hashed; WebCrypto's and hash-wasm's SHA-1 of an in-memory buffer, the app's two candidates). MB = 10⁶ bytes.",
    '',
    '| variant | median | per run |',
    '| --- | ---: | --- |',
    ...rows,
    '',
    `Target (issue 19, point 2): ≥ 200 MB/s — ${app >= 200 ? 'met' : `**not met**, ${fmt(app)} MB/s`}.`,
  ].join('\n')
  console.log(`\n${section}`)
  if (WRITE) writeSection('Hashing a dropped film', section)
}

await main()
