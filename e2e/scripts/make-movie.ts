/**
 * Movie-sized files for `BENCH_MOVIE=1 npm run bench:stream` (issue 19): a ≥ 1 GB MP4 (H.264 720p at ~8 Mbit/s
 * and AAC) in two layouts — the `moov` at the end as ffmpeg writes it, and `+faststart` — and a ≥ 1 GB WebM
 * (VP9 + Opus). Each is a 20 s clip encoded once and concatenated with stream copy (ffmpeg's concat demuxer),
 * so making them costs one short encode and a gigabyte of copying. Cached in `e2e/.cache/` (never committed);
 * a file is rebuilt only when its parameters change.
 *
 *   npx tsx e2e/scripts/make-movie.ts      # make them (or reuse them) and print their sizes
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { CACHE_DIR } from './make-test-video.ts'

const run = promisify(execFile)

export const MOVIE_PARAMS = {
  clipSeconds: 20,
  width: 1280,
  height: 720,
  fps: 25,
  keyframeInterval: 50,
  videoBitrate: '8M',
  audioBitrate: '128k',
  /** copies of the clip: 52 × 20 s ≈ 17 min, ≈ 1.05 GB at 8 Mbit/s */
  copies: 52,
  version: 1,
} as const

export type MovieKind = 'mp4' | 'mp4-faststart' | 'webm'

const FILE_NAMES: Record<MovieKind, string> = {
  mp4: 'movie.mp4',
  'mp4-faststart': 'movie-faststart.mp4',
  webm: 'movie.webm',
}

function hash(kind: MovieKind): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind, ...MOVIE_PARAMS }))
    .digest('hex')
    .slice(0, 16)
}

function clipArgs(kind: 'mp4' | 'webm', out: string): string[] {
  const p = MOVIE_PARAMS
  const video =
    kind === 'mp4'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p']
      : ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1']
  const audio = kind === 'mp4' ? ['-c:a', 'aac'] : ['-c:a', 'libopus']
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${p.width}x${p.height}:rate=${p.fps}:duration=${p.clipSeconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${p.clipSeconds}`,
    ...video,
    '-b:v',
    p.videoBitrate,
    '-minrate',
    p.videoBitrate,
    '-maxrate',
    p.videoBitrate,
    '-bufsize',
    '4M',
    '-g',
    String(p.keyframeInterval),
    '-keyint_min',
    String(p.keyframeInterval),
    ...audio,
    '-b:a',
    p.audioBitrate,
    '-shortest',
    out,
  ]
}

async function current(kind: MovieKind, path: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(`${path}.params.json`, 'utf8')) as { hash?: unknown }
    return stamp.hash === hash(kind) && (await stat(path)).size > 0
  } catch {
    return false
  }
}

/** The path of a movie-sized file, made first when missing or made with other parameters. */
export async function ensureMovie(kind: MovieKind): Promise<string> {
  const path = join(CACHE_DIR, FILE_NAMES[kind])
  if (await current(kind, path)) return path
  await mkdir(CACHE_DIR, { recursive: true })
  const container = kind === 'webm' ? 'webm' : 'mp4'
  const clip = join(CACHE_DIR, `movie-clip-${hash(kind)}.${container}`)
  const list = `${clip}.txt`
  const tmp = `${path}.${process.pid}.tmp.${container}`
  try {
    await run('ffmpeg', clipArgs(container, clip))
    await writeFile(list, `file '${clip}'\n`.repeat(MOVIE_PARAMS.copies))
    const layout = kind === 'mp4-faststart' ? ['-movflags', '+faststart'] : []
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-c',
      'copy',
      ...layout,
      tmp,
    ])
    await rename(tmp, path)
  } finally {
    await rm(tmp, { force: true })
    await rm(list, { force: true })
    await rm(clip, { force: true })
  }
  await writeFile(`${path}.params.json`, JSON.stringify({ hash: hash(kind), params: MOVIE_PARAMS }, null, 2))
  return path
}

async function main(): Promise<void> {
  for (const kind of ['mp4', 'mp4-faststart', 'webm'] as const) {
    const started = performance.now()
    const path = await ensureMovie(kind)
    const { size } = await stat(path)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    process.stdout.write(`${path}: ${(size / 1e9).toFixed(2)} GB (${seconds} s)\n`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
