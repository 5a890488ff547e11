/**
 * The pure parts of playing an MP4 through Media Source Extensions (media/mp4-movie.ts does the rest with
 * mp4box): where the file's `moov` (its index) is, read from the top-level boxes at its head; which time maps
 * to which sample and byte offset; which samples a window of downloaded bytes holds whole.
 *
 * An MP4 is a run of boxes: a 32-bit size (1: a 64-bit size follows the type; 0: to the end of the file), a
 * four-letter type, then the body. `ftyp` comes first; `moov` either before `mdat` (a "faststart" file) or
 * after it, at the end, where ffmpeg and most cameras write it.
 */

export interface BoxHeader {
  type: string
  /** File offset of the box's first byte. */
  start: number
  /** File offset just past the box. */
  end: number
}

/** Where the index is, from the boxes at the head of the file. */
export type MoovLocation =
  /** The head holds `ftyp` and the whole `moov`. */
  | { kind: 'head'; ftyp: BoxHeader; moov: BoxHeader }
  /** `moov` lies after `mdat`: the boxes from `start` to the file's end hold it. */
  | { kind: 'tail'; ftyp: BoxHeader; start: number }
  /** More bytes of the head are needed (`until`: at least this many). */
  | { kind: 'more'; until: number }
  | { kind: 'unsupported'; reason: string }

/** The head is not expected to need more than this to find `moov` or step over `mdat`. */
export const MAX_HEAD_BYTES = 64 * 1024 * 1024

/** Whether the bytes start like an MP4 (an `ftyp` box first). */
export function isMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && fourcc(bytes, 4) === 'ftyp'
}

/**
 * The header of the box at `at` (an offset into `bytes`, which start at file offset `base`), or null when
 * `bytes` end before its header does. `fileLength` resolves a size of 0 (to the end of the file).
 */
export function boxAt(bytes: Uint8Array, at: number, base: number, fileLength: number): BoxHeader | null {
  if (at + 8 > bytes.length) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let size = view.getUint32(at)
  const type = fourcc(bytes, at + 4)
  if (size === 1) {
    if (at + 16 > bytes.length) return null
    size = view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12)
  } else if (size === 0) {
    size = fileLength - (base + at)
  }
  return { type, start: base + at, end: base + at + size }
}

/**
 * Finds `moov` from the file's first bytes (`head`, from offset 0): walks the top-level boxes until `moov`
 * (the head must hold it whole) or `mdat` (then `moov` is behind it, in the tail).
 */
export function locateMoov(head: Uint8Array, fileLength: number): MoovLocation {
  let at = 0
  let ftyp: BoxHeader | null = null
  for (;;) {
    const box = boxAt(head, at, 0, fileLength)
    if (!box) return more(at + 16)
    if (box.end - box.start < 8 || box.end > fileLength)
      return { kind: 'unsupported', reason: `its ${printable(box.type)} box has an impossible size` }
    if (at === 0 && box.type !== 'ftyp') return { kind: 'unsupported', reason: 'it does not start with ftyp' }
    if (box.type === 'ftyp') ftyp = box
    if (!ftyp) return { kind: 'unsupported', reason: 'it has no ftyp box' }
    if (box.type === 'moov') return box.end <= head.length ? { kind: 'head', ftyp, moov: box } : more(box.end)
    if (box.type === 'mdat' || box.type === 'moof')
      return box.type === 'moof'
        ? { kind: 'unsupported', reason: 'it is already fragmented without a moov first' }
        : box.end >= fileLength
          ? { kind: 'unsupported', reason: 'it has no moov box' }
          : { kind: 'tail', ftyp, start: box.end }
    at = box.end
  }
}

/**
 * Where the index of the MP4 that `head` starts lies when it follows the media data: the file offset of the
 * boxes after `mdat`. Null for a faststart file, a head that does not reach `mdat`'s header, or no MP4.
 */
export function tailIndexStart(head: Uint8Array, fileLength: number): number | null {
  if (!isMp4(head)) return null
  const location = locateMoov(head, fileLength)
  return location.kind === 'tail' ? location.start : null
}

function more(until: number): MoovLocation {
  return until > MAX_HEAD_BYTES
    ? { kind: 'unsupported', reason: 'its head is larger than expected' }
    : { kind: 'more', until }
}

/** The `moov` among the boxes of `tail` (which starts at file offset `base` and runs to the file's end). */
export function findMoovInTail(tail: Uint8Array, base: number, fileLength: number): BoxHeader | null {
  let at = 0
  for (;;) {
    const box = boxAt(tail, at, base, fileLength)
    if (!box || box.end <= box.start + 7 || box.end > fileLength) return null
    if (box.type === 'moov') return box
    at = box.end - base
  }
}

/** The boxes from `moov` down to a track's sample sizes. */
const TO_SAMPLE_SIZES = ['trak', 'mdia', 'minf', 'stbl', 'stsz'] as const

/**
 * The bytes the largest constant-size sample table in `moov` claims (sample size × count, 0 when every table
 * lists its sizes). mp4box expands such a table to one entry per sample: a 20-byte box claiming a billion
 * samples would hold a tab for minutes and gigabytes, where a real file's samples fit in the file.
 */
export function claimedSampleBytes(moov: Uint8Array): number {
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength)
  let largest = 0
  // Children of the box whose body is [start, end), `depth` steps down TO_SAMPLE_SIZES.
  const walk = (start: number, end: number, depth: number): void => {
    for (let at = start; at + 8 <= end;) {
      const box = boxAt(moov, at, 0, end)
      if (!box || box.end <= box.start || box.end > end) return
      const body = at + (view.getUint32(at) === 1 ? 16 : 8)
      if (box.type === TO_SAMPLE_SIZES[depth]) {
        if (depth < TO_SAMPLE_SIZES.length - 1) walk(body, box.end, depth + 1)
        else if (body + 12 <= box.end)
          largest = Math.max(largest, view.getUint32(body + 4) * view.getUint32(body + 8))
      }
      at = box.end
    }
  }
  const moovBox = boxAt(moov, 0, 0, moov.length)
  if (moovBox?.type === 'moov') walk(view.getUint32(0) === 1 ? 16 : 8, Math.min(moovBox.end, moov.length), 0)
  return largest
}

// ── samples and time ─────────────────────────────────────────────────────────────────────────────────────

/** What the remuxing needs of one sample (mp4box's `Sample` fits). */
export interface SampleInfo {
  offset: number
  size: number
  /** Composition (presentation) time, in the track's timescale. */
  cts: number
  is_sync: boolean
}

export interface TrackSamples {
  timescale: number
  samples: readonly SampleInfo[]
  /**
   * Seconds of the track's media before what it presents (its edit list's first `media_time`: ffmpeg's
   * B-frame delay): Chromium, its Media Source included, shows sample time `cts / timescale - mediaStart`.
   */
  mediaStart?: number
}

/** Where to start reading so that `seconds` plays: each track's first sample, and the lowest byte offset. */
export interface SeekPoint {
  /** Per track (same order as given), the index of the sample to fragment from. */
  next: number[]
  /** The lowest file offset among those samples: the read starts here. */
  offset: number
  /** The earliest presentation time among them. */
  seconds: number
}

/**
 * Maps a time to where reading starts: in each track, the last sync sample presented at or before `seconds`
 * (every audio sample is one; times as the element shows them, less `mediaStart`), so that decoding can
 * start there; the read starts at the lowest offset among them. A track that ends before `seconds` starts
 * past its last sample.
 */
export function seekPoint(tracks: readonly TrackSamples[], seconds: number): SeekPoint {
  const next: number[] = []
  let offset = Infinity
  let earliest = Infinity
  for (const track of tracks) {
    const { samples, timescale } = track
    const start = track.mediaStart ?? 0
    const target = (seconds + start) * timescale
    // The last sample presented at or before the target (binary search over cts, which rises with the
    // index apart from B-frame reordering; the sync sample before it is looked for linearly).
    let lo = 0
    let hi = samples.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((samples[mid]?.cts ?? 0) <= target) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    while (found > 0 && !samples[found]?.is_sync) found--
    const sample = samples[found]
    if (!sample) {
      next.push(samples.length)
      continue
    }
    next.push(found)
    offset = Math.min(offset, sample.offset)
    earliest = Math.min(earliest, sample.cts / timescale - start)
  }
  return {
    next,
    offset: offset === Infinity ? 0 : offset,
    seconds: earliest === Infinity ? 0 : earliest,
  }
}

/**
 * The samples from `from` on whose bytes all lie in [windowStart, windowEnd): the index just past the last
 * one. A sample that starts before the window (its bytes were dropped) ends the run too.
 */
export function completeUntil(
  samples: readonly SampleInfo[],
  from: number,
  windowStart: number,
  windowEnd: number,
): number {
  let index = from
  for (;;) {
    const sample = samples[index]
    if (!sample || sample.offset < windowStart || sample.offset + sample.size > windowEnd) return index
    index++
  }
}

/**
 * The presentation time, in seconds, of the track's first sync sample shown at or after `seconds` (where
 * decoding can start with nothing before it), or null past the last.
 */
export function syncAtOrAfter(track: TrackSamples, seconds: number): number | null {
  const start = track.mediaStart ?? 0
  const target = (seconds + start) * track.timescale
  let best: number | null = null
  for (const sample of track.samples)
    if (sample.is_sync && sample.cts >= target && (best === null || sample.cts < best)) best = sample.cts
  return best === null ? null : best / track.timescale - start
}

/** Sample `index`'s presentation time in seconds, as the element shows it, or null when there is none. */
export function sampleSeconds(track: TrackSamples, index: number): number | null {
  const sample = track.samples[index]
  return sample ? sample.cts / track.timescale - (track.mediaStart ?? 0) : null
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0)
}

function printable(type: string): string {
  return /^[\x20-\x7e]{4}$/.test(type) ? type : 'first'
}
