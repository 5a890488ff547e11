/**
 * Makes the project's test video with the system ffmpeg: a small VP9/Opus WebM whose picture shows a running
 * timestamp (ffmpeg's `testsrc`, which needs no fonts) and whose audio beeps once a second, so drift between
 * peers can be seen and heard when debugging. The file is generated, never committed.
 *
 *   npx tsx e2e/scripts/make-test-video.ts         # make it (or reuse it) and print what ffprobe sees
 *   import { ensureTestVideo } from './make-test-video.ts'
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url))
export const TEST_VIDEO_PATH = join(CACHE_DIR, 'test-video.webm')
const STAMP_PATH = `${TEST_VIDEO_PATH}.params.json`

/** Everything that shapes the file; its hash decides whether a cached file is still the right one. */
export const TEST_VIDEO_PARAMS = {
  seconds: 20,
  width: 640,
  height: 360,
  fps: 25,
  // One keyframe a second: a seek never has to decode more than 25 frames.
  keyframeInterval: 25,
  videoBitrate: '400k',
  audioBitrate: '48k',
  toneHz: 440,
  // Cues (the seek index) before the clusters, as a streamable file has them: a player can start from
  // the first bytes instead of first fetching the index from the file's end.
  cuesToFront: true,
  version: 2,
} as const

function paramsHash(): string {
  return createHash('sha256').update(JSON.stringify(TEST_VIDEO_PARAMS)).digest('hex').slice(0, 16)
}

function ffmpegArgs(out: string): string[] {
  const p = TEST_VIDEO_PARAMS
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    // decimals=2 prints seconds to the hundredth: each 25 fps frame shows a distinct number.
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${p.width}x${p.height}:rate=${p.fps}:decimals=2:duration=${p.seconds}`,
    // beep_factor=4 adds a short higher beep every second on top of the tone.
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${p.toneHz}:beep_factor=4:sample_rate=48000:duration=${p.seconds}`,
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    p.videoBitrate,
    '-g',
    String(p.keyframeInterval),
    '-keyint_min',
    String(p.keyframeInterval),
    '-deadline',
    'good',
    '-cpu-used',
    '4',
    '-row-mt',
    '1',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'libopus',
    '-b:a',
    p.audioBitrate,
    '-ac',
    '1',
    '-shortest',
    ...(p.cuesToFront ? ['-cues_to_front', '1'] : []),
    '-f',
    'webm',
    out,
  ]
}

async function isCurrent(): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(STAMP_PATH, 'utf8')) as { hash?: unknown }
    return stamp.hash === paramsHash() && (await stat(TEST_VIDEO_PATH)).size > 0
  } catch {
    return false
  }
}

/** Returns the path of the test video, making it first when missing or made with other parameters. */
export async function ensureTestVideo(): Promise<string> {
  if (await isCurrent()) return TEST_VIDEO_PATH
  await mkdir(dirname(TEST_VIDEO_PATH), { recursive: true })
  // Write under a unique name and rename: concurrent callers never see a half-written file.
  const tmp = `${TEST_VIDEO_PATH}.${process.pid}.${Date.now()}.tmp.webm`
  try {
    await run('ffmpeg', ffmpegArgs(tmp))
  } catch (err) {
    await rm(tmp, { force: true })
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ffmpeg is not installed' : String(err)
    throw new Error(`Could not make the test video: ${reason}`, { cause: err })
  }
  await rename(tmp, TEST_VIDEO_PATH)
  await writeFile(STAMP_PATH, JSON.stringify({ hash: paramsHash(), params: TEST_VIDEO_PARAMS }, null, 2))
  return TEST_VIDEO_PATH
}

/**
 * A video cut or looped from the test video without re-encoding (`ffmpeg -c copy`), cached in CACHE_DIR as
 * `name`: `input` options go before `-i` (e.g. `-stream_loop 19`), `output` options after it (e.g. `-t 4`).
 */
export async function derivedVideo(
  name: string,
  { input = [], output = [] }: { input?: string[]; output?: string[] },
): Promise<string> {
  const path = join(CACHE_DIR, name)
  if (existsSync(path)) return path
  const source = await ensureTestVideo()
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp.webm`
  await run('ffmpeg', ['-v', 'error', '-y', ...input, '-i', source, ...output, '-c', 'copy', tmp])
  await rename(tmp, path)
  return path
}

/** 200 s, 8.5 MB: the test video ten times over, without re-encoding (its Cues sit at the end). */
export function longTestVideo(): Promise<string> {
  return derivedVideo('long-x10.webm', { input: ['-stream_loop', '9'] })
}

/** The presentation times of a file's video keyframes, in seconds, in order (ffprobe's packet flags). */
export async function keyframeTimes(path: string): Promise<number[]> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,flags',
      '-of',
      'csv=p=0',
      path,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  return stdout
    .split('\n')
    .filter((line) => line.split(',')[1]?.startsWith('K'))
    .map((line) => Number(line.split(',')[0]))
    .sort((a, b) => a - b)
}

/** What ffprobe reports, for a person to check the file by eye. */
export async function describeVideo(path: string): Promise<string> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration,size,bit_rate:stream=codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels',
    '-of',
    'default=noprint_wrappers=1',
    path,
  ])
  return stdout.trim()
}

async function main(): Promise<void> {
  const started = performance.now()
  const path = await ensureTestVideo()
  console.log(`${path} (${Math.round(performance.now() - started)} ms)`)
  console.log(await describeVideo(path))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  })
}
