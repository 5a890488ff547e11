/**
 * An MP4 for media/mse.ts, fragmented on the fly: the file's index (`moov`) is read first — from the head of a
 * "faststart" file, or from the tail, fetched before anything else, when `moov` sits after the media data —
 * then the samples of the first video and first audio track are repackaged into fragments as their bytes
 * are read (media/mp4-movie.ts), in file order. A seek maps the time to each track's sync sample at or before
 * it and restarts the read at the lowest of their offsets (media/mp4.ts).
 */
import { concat } from './bytes.ts'
import {
  NEAR_BYTES,
  readAll,
  readThrough,
  type ByteSource,
  type Feed,
  type Opened,
  type ReadState,
  type ReadAgain,
  type Restart,
  type TrackCodec,
} from './feed.ts'
import type { FragmentRun, Mp4Movie } from './mp4-movie.ts'
import { ByteWindow } from './byte-window.ts'
import { trace } from '../trace.ts'
import {
  claimedSampleBytes,
  completeUntil,
  findMoovInTail,
  isMp4,
  locateMoov,
  sampleSeconds,
  seekPoint,
  tailIndexStart,
} from './mp4.ts'

/**
 * How far the running read's next sample may lie past the time to play and still bring it: the tracks'
 * next samples differ by how the file interleaves them (ffmpeg: under a second).
 */
export const PENDING_SLACK_S = 1

/**
 * Whether the running read brings `seconds` without a restart: its next sample (`pending`, the earliest of
 * the tracks', in seconds) is not past that time, and it is at the bytes from `offset` (where the samples
 * for that time start) or a little before them with everything up to them downloaded.
 */
export function readBringsIt(
  read: ReadState,
  pending: number | null,
  seconds: number,
  offset: number,
  has: (start: number, end: number) => boolean,
): boolean {
  if (!read.pumping || pending === null || pending > seconds + PENDING_SLACK_S) return false
  if (read.position >= offset) return true
  return offset - read.position <= NEAR_BYTES && has(read.position, offset)
}

/**
 * The longest tail `prefetchTail` asks for on a hint: a 3-hour film's `moov` is under 16 MiB; a hint pointing
 * further back is ignored (the head still finds the index).
 */
export const MAX_PREFETCHED_TAIL = 32 * 1024 * 1024
/** How much of a dropped file's head `tailIndexOf` reads to find where its index lies. */
export const HINT_HEAD_BYTES = 64 * 1024

/** The tail of a file, asked for before its head (`prefetchTail`). */
export interface TailPrefetch {
  /** The file offset it starts at. */
  start: number
  bytes: Promise<Uint8Array>
  /** Stops the read if it still runs (its bytes were not needed). */
  cancel(): void
}

/**
 * Asks for the tail from `source.tailIndexAt` on, before anything else is read, so that the index comes in the
 * first answer instead of one round trip after the head's (the owner of a dropped file says where it lies:
 * playlist/wire.ts). Null without a usable hint. `readMp4Index` takes its bytes only when the head names the
 * same offset; otherwise the read is cancelled and the index found as without it.
 */
export function prefetchTail(source: ByteSource): TailPrefetch | null {
  const start = source.tailIndexAt
  if (start === undefined || !Number.isSafeInteger(start) || start <= 0 || start >= source.length) return null
  if (source.length - start > MAX_PREFETCHED_TAIL) return null
  trace('mp4:tail-first', { start })
  const iterator = source.read(start, source.length - 1)
  const bytes = readThrough(iterator)
  bytes.catch(() => {})
  // A cancelled read ends early; its bytes are not used.
  const cancel = () => void iterator.return?.()?.catch(() => {})
  return { start, bytes, cancel }
}

/**
 * Where a dropped MP4's index lies when it follows the media data (`tailIndexStart`), from its first
 * HINT_HEAD_BYTES; null when it is not such a file or cannot be read.
 */
export async function tailIndexOf(file: Blob): Promise<number | null> {
  try {
    const head = new Uint8Array(await file.slice(0, HINT_HEAD_BYTES).arrayBuffer())
    return tailIndexStart(head, file.size)
  } catch {
    return null
  }
}

type IndexRead = { ok: true; movie: Mp4Movie; head: Uint8Array } | { ok: false; reason: string }

let movieModule: Promise<typeof import('./mp4-movie.ts')> | null = null

/**
 * The module that reads an MP4's index (mp4box, ~45 kB gzipped: loaded with the first MP4, not with the page),
 * loaded once however many ask; a failed load is tried again by the next.
 */
export function loadMp4Movie(): Promise<typeof import('./mp4-movie.ts')> {
  movieModule ??= import('./mp4-movie.ts').catch((err: unknown) => {
    movieModule = null
    throw err
  })
  return movieModule
}

/** Whether `name` is an MP4's (by its extension). */
export function mp4Name(name: string): boolean {
  return /\.(mp4|m4v)$/i.test(name)
}

/**
 * Starts loading the index reader when `name` is an MP4's, so that it is there by the time the file's index
 * is (it took 300–370 ms to come on a busy page, after the index had arrived). True when it did.
 */
export function warmUpMp4(name: string): boolean {
  if (!mp4Name(name)) return false
  loadMp4Movie().catch(() => {})
  return true
}

/**
 * Reads the file's index: the head from `iterator` (`first`: the bytes read so far from its start) until its
 * top-level boxes say where `moov` is, then `moov` from the head, or from the tail when it lies after `mdat`.
 * `head`: every byte read from the start. For a tail, the read from the start ends first: its next requests
 * would come over the same wire ahead of the index (a mebibyte took 0.2–1.1 s to a busy page), and nothing
 * in them plays before the index is in. `onTail(position)` runs once the tail's first bytes are in: where the
 * read from the start goes on. By then the tail is on its way (the owner answers a link's requests in order;
 * a torrent has verified the tail's first piece), so the head's bytes come behind it, not ahead of it, and
 * are there by the time the index is parsed. With `prefetched` (`prefetchTail`) at the offset the head names,
 * the tail was asked for first: the read from the start goes on untouched and `onTail` is not called.
 */
export async function readMp4Index(
  iterator: AsyncIterator<Uint8Array>,
  first: Uint8Array,
  source: ByteSource,
  onTail: (position: number) => void = () => {},
  prefetched: TailPrefetch | null = null,
): Promise<IndexRead> {
  // Loading while the index arrives.
  const module = loadMp4Movie()
  module.catch(() => {})
  const parts: Uint8Array[] = [first]
  let head = first
  let location = locateMoov(head, source.length)
  while (location.kind === 'more') {
    const next = await iterator.next()
    if (next.done) return { ok: false, reason: 'the file ended before its moov did' }
    parts.push(next.value)
    head = concat(parts)
    location = locateMoov(head, source.length)
  }
  const hinted = location.kind === 'tail' && prefetched?.start === location.start ? prefetched : null
  if (!hinted) prefetched?.cancel()
  if (location.kind === 'unsupported') return { ok: false, reason: location.reason }
  trace('mp4:located', { kind: location.kind, head: head.byteLength, hinted: hinted !== null })
  const ftyp = head.subarray(location.ftyp.start, location.ftyp.end)
  let moov: Uint8Array
  if (location.kind === 'head') {
    moov = head.subarray(location.moov.start, location.moov.end)
  } else {
    if (!hinted) void iterator.return?.()?.catch(() => {})
    // After the media data: the boxes from there to the end of the file, `moov` among them.
    const tail = hinted
      ? await hinted.bytes
      : await readAll(source, location.start, source.length - 1, () => onTail(head.byteLength))
    const box = findMoovInTail(tail, location.start, source.length)
    if (!box) return { ok: false, reason: 'it has no moov box after its media data' }
    moov = tail.subarray(box.start - location.start, box.end - location.start)
  }
  if (claimedSampleBytes(moov) > source.length)
    return { ok: false, reason: 'its index claims more sample data than the file holds' }
  try {
    const { Mp4Movie } = await module
    trace('mp4:parse', { moov: moov.byteLength })
    const movie = new Mp4Movie(ftyp, moov)
    trace('mp4:parsed')
    return { ok: true, movie, head }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    return { ok: false, reason: `its index could not be read (${why})` }
  }
}

/**
 * Reads the file's index and opens the feed (`first`: the bytes read so far from its start; `prefetched`: its
 * tail, asked for first on a hint).
 */
export async function openMp4(
  iterator: AsyncIterator<Uint8Array>,
  first: Uint8Array,
  source: ByteSource,
  prefetched: TailPrefetch | null = null,
): Promise<Opened> {
  // With the index in the tail, the read from the start goes on as the tail comes, its first chunk asked for
  // while the rest of the tail comes and the index is parsed.
  let again: ReadAgain | null = null
  const endAgain = () => void (again as ReadAgain | null)?.iterator.return?.()?.catch(() => {})
  const index = await readMp4Index(
    iterator,
    first,
    source,
    (position) => {
      const read = source.read(position)
      const next = read.next()
      next.catch(() => {})
      again = { iterator: read, next }
    },
    prefetched,
  ).catch((err: unknown) => {
    endAgain()
    throw err
  })
  const readAgain = again as ReadAgain | null
  if (!index.ok) {
    endAgain()
    return index
  }
  const { movie, head } = index
  const feed = new Mp4Feed(movie, source)
  const init = movie.initSegment()
  // The head holds the first samples too (all of the media data's start, in a faststart file).
  const parts = [init, ...feed.take(head, 0)]
  return { ok: true, feed, first: parts, position: head.byteLength, ...(readAgain ? { readAgain } : {}) }
}

/**
 * The codecs of an MP4's played tracks, from its index (read from the head, and the tail when `moov` is
 * there), to name the one a browser can't play; null when the file is no MP4 this module reads.
 */
export async function mp4Codecs(source: ByteSource): Promise<TrackCodec[] | null> {
  const iterator = source.read(0)
  try {
    const first = await iterator.next()
    if (first.done || !isMp4(first.value)) return null
    const index = await readMp4Index(iterator, first.value, source)
    return index.ok ? index.movie.tracks.map(({ kind, codec }) => ({ kind, codec })) : null
  } finally {
    void iterator.return?.()?.catch(() => {})
  }
}

class Mp4Feed implements Feed {
  readonly mimeType: string
  readonly codecs: readonly TrackCodec[]
  readonly duration: number | null
  readonly #movie: Mp4Movie
  readonly #source: ByteSource
  /** Per track, the next sample to put in a fragment. */
  #next: number[]
  /** Bytes read and not yet put in fragments. */
  readonly #window = new ByteWindow()
  readonly built = true

  constructor(movie: Mp4Movie, source: ByteSource) {
    this.#movie = movie
    this.#source = source
    this.mimeType = movie.mimeType
    this.codecs = movie.tracks.map(({ kind, codec }) => ({ kind, codec }))
    this.duration = movie.duration > 0 ? movie.duration : null
    this.#next = movie.tracks.map(() => 0)
  }

  take(chunk: Uint8Array, at: number): Uint8Array[] {
    const window = this.#window
    window.add(chunk, at)
    const runs: FragmentRun[] = []
    this.#movie.tracks.forEach((track, i) => {
      const from = this.#next[i] ?? 0
      const to = completeUntil(track.samples, from, window.start, window.end)
      if (to === from) return
      runs.push({ track: i, from, to })
      this.#next[i] = to
    })
    const out =
      runs.length > 0
        ? [this.#movie.fragments(runs, (offset, size, target, at) => window.copyTo(offset, size, target, at))]
        : []
    this.#trim()
    return out
  }

  keyframeAtOrAfter(seconds: number): number | null {
    return this.#movie.keyframeAtOrAfter(seconds)
  }

  restartFor(seconds: number, read: ReadState): Promise<Restart | null> {
    return Promise.resolve(this.#restart(seconds, read))
  }

  #restart(seconds: number, read: ReadState): Restart | null {
    const tracks = this.#movie.tracks
    const point = seekPoint(tracks, seconds)
    const pending = tracks.reduce<number | null>((earliest, track, i) => {
      const at = sampleSeconds(track, this.#next[i] ?? 0)
      return at === null ? earliest : Math.min(earliest ?? at, at)
    }, null)
    const has = (start: number, end: number) => this.#source.has(start, end)
    if (readBringsIt(read, pending, seconds, point.offset, has)) return null
    return {
      offset: point.offset,
      apply: () => {
        this.#next = point.next
        this.#window.clear(point.offset)
      },
    }
  }

  /** Drops the bytes before the earliest sample any track still needs. */
  #trim(): void {
    let keep = Infinity
    this.#movie.tracks.forEach((track, i) => {
      const sample = track.samples[this.#next[i] ?? 0]
      if (sample) keep = Math.min(keep, sample.offset)
    })
    this.#window.dropBefore(keep)
  }
}
