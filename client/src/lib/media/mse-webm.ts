/**
 * A WebM for media/mse.ts: the file's own bytes go to the SourceBuffer as they are read. The head (EBML header
 * through Tracks, media/webm.ts) gives the codecs; a seek restarts the read at the cluster holding the time,
 * found in the file's Cues; without Cues the bytes keep coming in order. The Cues (at the file's end, where
 * ffmpeg writes them) are read once: when the player is ahead (`prepare`), or at the first seek before that.
 * Read at the seek, they cost a leecher of a 1 GB film 75–370 ms of its seek (bench:movie).
 */
import { concat } from './bytes.ts'
import {
  nextToPlay,
  readAll,
  readReachesSoon,
  type ByteSource,
  type Feed,
  type Opened,
  type ReadState,
  type Restart,
} from './feed.ts'
import type { PlayheadView } from './target.ts'
import { trace } from '../trace.ts'
import {
  clusterFor,
  cueAtOrAfter,
  elementLength,
  ID,
  parseCues,
  parseHead,
  type CuePoint,
  type WebmHead,
} from './webm.ts'

/**
 * Where the read must go on from so that what plays next comes (`MseStream#readOn`): the cluster holding the
 * end of the buffered range the playhead is in (or the playhead, in none), or null when nothing is left to
 * read there or the running read is there already or gets there without waiting for peers.
 */
export function readOnFrom(
  media: Pick<PlayheadView, 'buffered' | 'currentTime' | 'duration'>,
  cues: readonly CuePoint[],
  read: ReadState,
  source: Pick<ByteSource, 'length' | 'has'>,
): CuePoint | null {
  const seconds = nextToPlay(media)
  return seconds === null ? null : clusterToReadFrom(seconds, cues, read, source)
}

/** The cluster to read from so that `seconds` plays next, or null when the running read brings it. */
export function clusterToReadFrom(
  seconds: number,
  cues: readonly CuePoint[],
  read: ReadState,
  source: Pick<ByteSource, 'length' | 'has'>,
): CuePoint | null {
  const cluster = clusterFor(cues, seconds)
  if (!cluster) return null
  const clusterEnd = cues.find((cue) => cue.offset > cluster.offset)?.offset ?? source.length
  const has = (start: number, end: number) => source.has(start, end)
  // A read that has just handed over the whole cluster goes on with the next: it is the one we want too.
  const there =
    read.position === clusterEnd || readReachesSoon(read.position, cluster.offset, clusterEnd, has)
  return read.pumping && there ? null : cluster
}

/** Reads the file's first bytes (`first`: those read so far) until they hold its head. */
export async function openWebm(
  iterator: AsyncIterator<Uint8Array>,
  first: Uint8Array,
  source: ByteSource,
): Promise<Opened> {
  const read = await readWebmHead(iterator, first)
  if (!read.ok) return read
  const { head, bytes } = read
  return { ok: true, feed: new WebmFeed(head, source), first: [bytes], position: bytes.byteLength }
}

/** The file's head, and every byte read from its start (`first`: those read so far). */
export async function readWebmHead(
  iterator: AsyncIterator<Uint8Array>,
  first: Uint8Array,
): Promise<{ ok: true; head: WebmHead; bytes: Uint8Array } | { ok: false; reason: string }> {
  const parts: Uint8Array[] = [first]
  for (;;) {
    const bytes = concat(parts)
    const result = parseHead(bytes)
    if (result.kind === 'head') return { ok: true, head: result.head, bytes }
    if (result.kind === 'unsupported') return { ok: false, reason: result.reason }
    const next = await iterator.next()
    if (next.done) return { ok: false, reason: 'the file ended before its head did' }
    parts.push(next.value)
  }
}

/** The file's cue points, read from where its head says they are; null when it names none. */
export async function readCues(source: ByteSource, head: WebmHead): Promise<CuePoint[] | null> {
  if (head.cuesAt === null) return null
  const start = head.cuesAt
  const first = await readAll(source, start, Math.min(source.length - 1, start + 15))
  const length = elementLength(first, ID.Cues)
  if (length === null) return null
  const bytes = await readAll(source, start, Math.min(source.length - 1, start + length - 1))
  trace('webm:cues', { at: start, bytes: bytes.byteLength })
  return parseCues(bytes, head)
}

class WebmFeed implements Feed {
  readonly mimeType: string
  readonly codecs = []
  readonly duration = null
  readonly #head: WebmHead
  readonly #source: ByteSource
  #cues: Promise<CuePoint[] | null> | null = null
  /** The cue points once read: a seek bar's seek lands on one (`keyframeAtOrAfter`). */
  #cuePoints: readonly CuePoint[] = []

  constructor(head: WebmHead, source: ByteSource) {
    this.mimeType = head.mimeType
    this.#head = head
    this.#source = source
  }

  take(chunk: Uint8Array): Uint8Array[] {
    return [chunk]
  }

  prepare(): void {
    void this.#loadCues()
  }

  keyframeAtOrAfter(seconds: number): number | null {
    return cueAtOrAfter(this.#cuePoints, seconds)
  }

  async restartFor(seconds: number, read: ReadState): Promise<Restart | null> {
    const cues = await this.#loadCues()
    if (!cues) return null
    const cluster = clusterToReadFrom(seconds, cues, read, this.#source)
    return cluster ? { offset: cluster.offset, apply: () => {} } : null
  }

  /** The file's cue points (read once), or null when it has none we can find. */
  #loadCues(): Promise<CuePoint[] | null> {
    this.#cues ??= readCues(this.#source, this.#head).then(
      (cues) => {
        this.#cuePoints = cues ?? []
        return cues
      },
      (err: unknown) => {
        console.warn('stream: no cues, seeking reads on from where it is', err)
        return null
      },
    )
    return this.#cues
  }
}
