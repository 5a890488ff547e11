/**
 * Makes Matroska files with text subtitle tracks inside, with the system ffmpeg: SubRip (`S_TEXT/UTF8`),
 * ASS (`S_TEXT/ASS`) and WebVTT (`S_TEXT/WEBVTT`), each with a language and a name, next to a video and its
 * sound. Two uses:
 *
 * - `makeSubtitledMkv(video, out)`: the e2e test's film (the test video, copied, plus the tracks);
 * - `npx tsx e2e/scripts/make-subtitled-mkv.ts`: the tiny committed fixture of the client's unit tests
 *   (client/test/media/fixtures/subtitled.mkv: a 3 s, 64×48 VP9/Opus picture, a few KiB).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A cue: seconds, and its lines. */
export interface TestCue {
  start: number
  end: number
  text: string
}

/** The cues every track of the unit tests' fixture carries: what the tests look for, and at which times. */
export const SUBTITLE_CUES: readonly TestCue[] = [
  { start: 0.5, end: 1.5, text: 'Hello from inside the file' },
  { start: 2, end: 2.8, text: 'Second line\nover two rows' },
]

function clock(seconds: number, separator: string, hourDigits = 2, fraction = 3): string {
  const ms = Math.round(seconds * 1000)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  const frac = pad(ms % 1000, 3).slice(0, fraction)
  return `${pad(Math.floor(ms / 3_600_000), hourDigits)}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${frac}`
}

const srt = (cues: readonly TestCue[]) =>
  cues.map((c, i) => `${i + 1}\n${clock(c.start, ',')} --> ${clock(c.end, ',')}\n${c.text}\n`).join('\n')

const vtt = (cues: readonly TestCue[]) =>
  `WEBVTT\n\n${cues.map((c) => `${clock(c.start, '.')} --> ${clock(c.end, '.')}\n${c.text}\n`).join('\n')}`

// Override tags ({\\i1}, {\\pos(…)}) and hard line breaks (\\N): what a reader must strip and turn into lines.
const ass = (cues: readonly TestCue[]) => `[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
${cues
  .map((c) => {
    const text = c.text.replace('inside', '{\\i1}inside{\\i0}').replace(/\n/g, '\\N')
    return `Dialogue: 0,${clock(c.start, '.', 1, 2)},${clock(c.end, '.', 1, 2)},Default,,0,0,0,,{\\pos(10,10)}${text}\n`
  })
  .join('')}`

/** The tracks, in the file's order: what the tests expect of each. */
export const SUBTITLE_TRACKS = [
  { codec: 'S_TEXT/UTF8', language: 'en', name: 'English (SRT)' },
  { codec: 'S_TEXT/ASS', language: 'fr', name: 'Français (ASS)' },
  { codec: 'S_TEXT/WEBVTT', language: 'de', name: 'Deutsch (VTT)' },
] as const

/** ffmpeg's encoder for each track's codec. */
const SUBTITLE_ENCODERS: Record<(typeof SUBTITLE_TRACKS)[number]['codec'], string> = {
  'S_TEXT/UTF8': 'srt',
  'S_TEXT/ASS': 'ass',
  'S_TEXT/WEBVTT': 'webvtt',
}

/**
 * Writes `out`: `video`'s streams copied (or, with `video` null, a 3 s 64×48 VP9/Opus picture made here)
 * plus the three subtitle tracks, each carrying `cues`.
 */
export async function makeSubtitledMkv(
  video: string | null,
  out: string,
  cues: readonly TestCue[] = SUBTITLE_CUES,
): Promise<void> {
  await mux(video, out, cues, 'matroska')
}

/**
 * Writes `out`: `video`'s streams copied into WebM, with the WebVTT track alone (the only subtitle codec
 * WebM has: `D_WEBVTT/SUBTITLES`).
 */
export async function makeSubtitledWebm(video: string, out: string, cues: readonly TestCue[]): Promise<void> {
  await mux(video, out, cues, 'webm')
}

async function mux(
  video: string | null,
  out: string,
  cues: readonly TestCue[],
  container: 'matroska' | 'webm',
): Promise<void> {
  const tracks = container === 'webm' ? SUBTITLE_TRACKS.slice(2) : SUBTITLE_TRACKS
  const files = container === 'webm' ? ['de.vtt'] : ['en.srt', 'fr.ass', 'de.vtt']
  const dir = await mkdtemp(join(tmpdir(), 'theatron-subs-'))
  try {
    await writeFile(join(dir, 'en.srt'), srt(cues))
    await writeFile(join(dir, 'fr.ass'), ass(cues))
    await writeFile(join(dir, 'de.vtt'), vtt(cues))
    const source = video
      ? ['-i', video]
      : ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3']
    const streams = video ? 1 : 2
    const subs = files.flatMap((name) => ['-i', join(dir, name)])
    const maps = [
      ...(video ? ['-map', '0:v', '-map', '0:a'] : ['-map', '0:v', '-map', '1:a']),
      ...tracks.flatMap((_, i) => ['-map', `${streams + i}:s`]),
    ]
    const codecs = video
      ? ['-c:v', 'copy', '-c:a', 'copy']
      : ['-c:v', 'libvpx-vp9', '-b:v', '20k', '-g', '10', '-c:a', 'libopus', '-b:a', '12k', '-ac', '1']
    const subtitleCodecs = tracks.flatMap((t, i) => [`-c:s:${i}`, SUBTITLE_ENCODERS[t.codec]])
    const meta = tracks.flatMap((t, i) => [
      `-metadata:s:s:${i}`,
      `language=${t.language}`,
      `-metadata:s:s:${i}`,
      `title=${t.name}`,
    ])
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      ...source,
      ...subs,
      ...maps,
      ...codecs,
      ...subtitleCodecs,
      ...meta,
      '-f',
      container,
      out,
    ])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export const FIXTURE_PATH = fileURLToPath(
  new URL('../../client/test/media/fixtures/subtitled.mkv', import.meta.url),
)

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  makeSubtitledMkv(null, FIXTURE_PATH).then(
    () => console.log(FIXTURE_PATH),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exitCode = 1
    },
  )
}
