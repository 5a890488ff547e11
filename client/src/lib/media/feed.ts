/**
 * What media/mse.ts needs of a container: how the file's bytes become what a SourceBuffer takes, and where
 * to read from so that a given time plays next. One feed per container: WebM (media/mse-webm.ts) appends the
 * file's own bytes; MP4 (media/mse-mp4.ts) repackages its samples into fragments.
 */
import type { PlayheadView } from './target.ts'
import { rangeEnd } from './buffered.ts'
import { concat } from './bytes.ts'

/**
 * A seek whose cluster starts at most this many bytes after where the running read is, all of them already
 * downloaded, waits for that read (appending them takes milliseconds) instead of starting another.
 */
export const NEAR_BYTES = 1024 * 1024
/** A buffered range ending this close to the media's end reaches it: nothing is left to read. */
export const END_S = 0.05

/** The bytes of one file: `read(start, end)` yields [start, end] (end inclusive; the file's end by default). */
export interface ByteSource {
  length: number
  read(start: number, end?: number): AsyncIterator<Uint8Array>
  /** Whether every byte of [start, end) is downloaded and verified: reading it waits for no peer. */
  has(start: number, end: number): boolean
  /**
   * Where the file's index starts when it follows the media data (an MP4's boxes after `mdat`), as whoever
   * offers the bytes says: a hint, asked for first and used only when the head says the same
   * (media/mse-mp4.ts `prefetchTail`).
   */
  readonly tailIndexAt?: number
}

/** Where the running read is: whether one runs, and the file offset of the next byte it hands over. */
export interface ReadState {
  pumping: boolean
  position: number
}

/** A codec of a played track, as `MediaSource.isTypeSupported` takes it. */
export interface TrackCodec {
  kind: 'video' | 'audio'
  codec: string
}

/** A restart of the read: from `offset`, once `apply` has set the feed up for it (after the old read stopped). */
export interface Restart {
  offset: number
  apply(): void
}

export interface Feed {
  readonly mimeType: string
  /** Each played track's codec; empty when the container names none this module can tell apart. */
  readonly codecs: readonly TrackCodec[]
  /** The media's length in seconds when the container says, before any media is appended. */
  readonly duration: number | null
  /** What to append for `chunk`, read at file offset `at`. */
  take(chunk: Uint8Array, at: number): Uint8Array[]
  /**
   * Whether `take` returns arrays made for that call, which nothing else holds (an MP4's fragments): an
   * append may then hand them over without a copy (media/sink.ts). A WebM's are views into the chunk read.
   */
  readonly built?: boolean
  /** Where the read must restart so that `seconds` plays next; null when the running read brings it. */
  restartFor(seconds: number, read: ReadState): Promise<Restart | null>
  /**
   * Reads what a seek will need before any seek asks (a WebM's Cues, at the file's end): called once, when
   * the player is PREPARE_AHEAD_S ahead (media/mse.ts), so the read does not hold up the start.
   */
  prepare?(): void
  /**
   * The time of the first keyframe at or after `seconds` (where a seek decodes nothing before it), or null
   * while the index that says is not read (a WebM's Cues before `prepare`) or the file names none.
   */
  keyframeAtOrAfter?(seconds: number): number | null
}

/** A read the open started in place of the first one: from `position`, its first chunk already asked for. */
export interface ReadAgain {
  iterator: AsyncIterator<Uint8Array>
  next: Promise<IteratorResult<Uint8Array>>
}

/**
 * A feed opened from the file's first bytes: what to append first, and where the first read goes on
 * (`readAgain`: the open ended that read and started this one at `position`).
 */
export type Opened =
  | { ok: true; feed: Feed; first: Uint8Array[]; position: number; readAgain?: ReadAgain }
  | { ok: false; reason: string }

/**
 * Whether a seek into the cluster [clusterStart, clusterEnd) can wait for the read that is at `position`:
 * it is inside that cluster already, or a little before it with everything up to it downloaded. Otherwise
 * the read restarts at the cluster, which also tells the torrent to fetch those pieces first: waiting for a
 * read that still has to download what lies before the cluster can cost a late joiner seconds on a slow link.
 */
export function readReachesSoon(
  position: number,
  clusterStart: number,
  clusterEnd: number,
  has: (start: number, end: number) => boolean,
): boolean {
  if (position >= clusterStart) return position < clusterEnd
  return clusterStart - position <= NEAR_BYTES && has(position, clusterStart)
}

/**
 * The time the read must bring next: the end of the buffered range the playhead is in (or the playhead, in
 * none); null when that range reaches the media's end.
 */
export function nextToPlay(
  media: Pick<PlayheadView, 'buffered' | 'currentTime' | 'duration'>,
): number | null {
  const seconds = rangeEnd(media.buffered, media.currentTime) ?? media.currentTime
  return Number.isFinite(media.duration) && seconds >= media.duration - END_S ? null : seconds
}

/**
 * The bytes [start, end] of a source, whole; `onFirst` runs once, as the first of them are in (or at the end,
 * if none came).
 */
export function readAll(
  source: ByteSource,
  start: number,
  end: number,
  onFirst: () => void = () => {},
): Promise<Uint8Array> {
  return readThrough(source.read(start, end), onFirst)
}

/** Everything `iterator` brings, joined; `onFirst` runs once, as the first of it is in (or at the end). */
export async function readThrough(
  iterator: AsyncIterator<Uint8Array>,
  onFirst: () => void = () => {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for (;;) {
    const next = await iterator.next()
    if (parts.length === 0) onFirst()
    if (next.done) return concat(parts)
    parts.push(next.value)
  }
}

/** A Blob's bytes read a mebibyte at a time, as they are asked for (a dropped file: all of it is here). */
export function blobSource(blob: Blob, chunk = 1024 * 1024): ByteSource {
  return {
    length: blob.size,
    has: () => true,
    read: async function* (start: number, end = blob.size - 1) {
      for (let at = start; at <= end; at += chunk)
        yield new Uint8Array(await blob.slice(at, Math.min(end + 1, at + chunk)).arrayBuffer())
    },
  }
}
