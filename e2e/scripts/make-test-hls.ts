/**
 * An HLS test stream made with the system ffmpeg from the H.264 + AAC test MP4 (make-test-mp4.ts), cached in
 * e2e/.cache/: a VOD playlist of 2-second MPEG-TS segments, the codecs copied as they are. Generated, never
 * committed.
 *
 *   import { testHls } from './make-test-hls.ts'
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CACHE_DIR } from './make-test-video.ts'

const run = promisify(execFile)

/** The folder holding `index.m3u8` and its segments, made first when missing. */
export async function testHls(name: string, mp4: string): Promise<string> {
  const dir = join(CACHE_DIR, name)
  if (existsSync(join(dir, 'index.m3u8'))) return dir
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`
  await mkdir(tmp, { recursive: true })
  try {
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-i', mp4],
      ...['-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod'],
      ...['-hls_segment_filename', join(tmp, 'segment-%03d.ts'), join(tmp, 'index.m3u8')],
    ])
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ffmpeg is not installed' : String(err)
    throw new Error(`Could not make ${name}: ${reason}`, { cause: err })
  }
  return dir
}
