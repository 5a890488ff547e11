/**
 * MP4 test videos made with the system ffmpeg, cached next to the WebM test video (e2e/.cache/): the same
 * picture (a running timestamp) and beeping tone, as H.264 + AAC or as HEVC. Generated, never committed.
 *
 *   import { testMp4 } from './make-test-mp4.ts'
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CACHE_DIR } from './make-test-video.ts'

const run = promisify(execFile)

export interface Mp4Options {
  seconds: number
  /** `h264`: H.264 + AAC; `hevc`: HEVC (libx265, tagged hvc1 as Apple's players want it), no sound. */
  codec: 'h264' | 'hevc'
  /** `end`: the index (`moov`) after the media data, where ffmpeg writes it; `start`: `-movflags +faststart`. */
  moov: 'end' | 'start'
  /** The clip played this many times over, stream-copied (a long file quickly). */
  loops?: number
  /**
   * The clip (`loops` times) joined by ffmpeg's concat demuxer (stream copy) instead, as films joined from clips
   * are: the video track starts with a 21 ms empty edit (the AAC priming), and a file player shows it that much
   * later.
   */
  joined?: boolean
}

/** The path of an MP4 with these options, made first when missing. */
export async function testMp4(name: string, options: Mp4Options): Promise<string> {
  const path = join(CACHE_DIR, name)
  if (existsSync(path)) return path
  await mkdir(CACHE_DIR, { recursive: true })
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp.mp4`
  const clip = `${path}.${process.pid}.${Date.now()}.clip.mp4`
  const { seconds, codec, moov, loops = 1, joined = false } = options
  const list = `${clip}.txt`
  const moovFlags = moov === 'start' ? ['-movflags', '+faststart'] : []
  try {
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25:decimals=2:duration=${seconds}`],
      ...(codec === 'h264'
        ? ['-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${seconds}`]
        : []),
      // One keyframe a second, as the WebM test video has.
      ...(codec === 'h264'
        ? ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '300k', '-g', '25', '-keyint_min', '25']
        : [
            '-c:v',
            'libx265',
            '-preset',
            'ultrafast',
            '-tag:v',
            'hvc1',
            '-x265-params',
            'log-level=error:keyint=25',
          ]),
      '-pix_fmt',
      'yuv420p',
      ...(codec === 'h264' ? ['-c:a', 'aac', '-b:a', '48k', '-ac', '1', '-shortest'] : []),
      ...(loops > 1 || joined ? [] : moovFlags),
      loops > 1 || joined ? clip : tmp,
    ])
    if (joined) await writeFile(list, `file '${clip}'\n`.repeat(loops))
    if (loops > 1 || joined)
      await run('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-y'],
        ...(joined ? ['-f', 'concat', '-safe', '0'] : ['-stream_loop', String(loops - 1)]),
        ...['-i', joined ? list : clip, '-c', 'copy', ...moovFlags, tmp],
      ])
    await rename(tmp, path)
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ffmpeg is not installed' : String(err)
    throw new Error(`Could not make ${name}: ${reason}`, { cause: err })
  } finally {
    await rm(tmp, { force: true })
    await rm(clip, { force: true })
    await rm(list, { force: true })
  }
  return path
}
