/**
 * Where a dropped file's keyframes are, for the member who plays the file itself (its own `File`, through the
 * element, no MSE): the same index an MSE reader keeps (a WebM's Cues, an MP4's sync samples), read once from
 * the file in the background. A seek bar's seek lands on one when it is close (sync/seek-target.ts), so that
 * no member decodes the frames before it.
 */
import { blobSource, type ByteSource } from './feed.ts'
import { mseCandidate } from './mse.ts'
import type { AttachedSource } from './target.ts'
import { isMp4 } from './mp4.ts'
import { readMp4Index } from './mse-mp4.ts'
import { readCues, readWebmHead } from './mse-webm.ts'
import { cueAtOrAfter } from './webm.ts'

/** Answers null until the index is read, and when the file has none this reads. */
export type KeyframeLookup = (seconds: number) => number | null

/**
 * How long after the file is attached its index is read, unless a seek asks first: the file starts playing,
 * and the members reading it from this page are served, before this page parses an index (an MP4's loads
 * mp4box first, a long task of 100–150 ms on a busy page).
 */
export const READ_AFTER_MS = 5000

export interface KeyframeIndex {
  lookup: KeyframeLookup
  /** Stops a read not yet begun. */
  cancel(): void
  /** Settles once the index is read, could not be, or will not be (`cancel`). */
  ready: Promise<void>
}

/**
 * A lookup over a source's index, read `after` ms from now or at the first lookup, whichever comes first
 * (that lookup answers null). A failed read leaves it answering null.
 */
export function keyframeLookup(source: ByteSource, after = READ_AFTER_MS): KeyframeIndex {
  let lookup: KeyframeLookup | null = null
  let started = false
  let settle = () => {}
  const ready = new Promise<void>((resolve) => (settle = resolve))
  const start = () => {
    if (started) return
    started = true
    clearTimeout(timer)
    readLookup(source)
      .then(
        (read) => {
          lookup = read
        },
        (err: unknown) => console.info('stream: no keyframe index for the seek bar', err),
      )
      .finally(settle)
  }
  const timer = setTimeout(start, after)
  return {
    lookup: (seconds) => {
      start()
      return lookup?.(seconds) ?? null
    },
    cancel: () => {
      started = true
      clearTimeout(timer)
      settle()
    },
    ready,
  }
}

/**
 * A dropped file as the element's source (a `blob:` URL), with its keyframes for the seek bar when it is a
 * file MSE could have read (`name`: the file's name).
 */
export function attachableFile(file: Blob, name: string): AttachedSource {
  const url = URL.createObjectURL(file)
  const keyframes = mseCandidate(name) ? keyframeLookup(blobSource(file)) : null
  const release = () => {
    keyframes?.cancel()
    URL.revokeObjectURL(url)
  }
  return keyframes
    ? { url, kind: 'file', release, keyframeAtOrAfter: keyframes.lookup }
    : { url, kind: 'file', release }
}

async function readLookup(source: ByteSource): Promise<KeyframeLookup | null> {
  const iterator = source.read(0)
  try {
    const first = await iterator.next()
    if (first.done) return null
    if (isMp4(first.value)) {
      const index = await readMp4Index(iterator, first.value, source)
      return index.ok ? (seconds) => index.movie.keyframeAtOrAfter(seconds) : null
    }
    const head = await readWebmHead(iterator, first.value)
    const cues = head.ok ? await readCues(source, head.head) : null
    return cues && cues.length > 0 ? (seconds) => cueAtOrAfter(cues, seconds) : null
  } finally {
    void iterator.return?.()?.catch(() => {})
  }
}
