/**
 * The little of WebM (Matroska's EBML) that feeding a `<video>` through Media Source Extensions needs
 * (media/mse.ts): the codecs to open a SourceBuffer with, and the Cues that say where the cluster holding a given
 * time starts, so a seek can fetch from there instead of from the start. Pure: bytes in, facts out.
 *
 * EBML in one paragraph: an element is an ID (a variable-length integer, 1–4 bytes, marker bit kept), a size
 * (1–8 bytes, marker bit removed; all ones = unknown) and a body. A WebM file is an EBML header element and
 * one Segment, whose children are SeekHead (where the other children are), Info (time scale, duration),
 * Tracks (codecs), Clusters (the media) and Cues (time → cluster position, relative to the Segment's body).
 */
import { header, uint, type EbmlHeader } from './ebml.ts'

export const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  CodecID: 0x86,
  TrackType: 0x83,
  Cluster: 0x1f43b675,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueClusterPosition: 0xf1,
} as const

/** What the start of a WebM file says. Offsets are from the start of the file. */
export interface WebmHead {
  /** For `MediaSource.addSourceBuffer`: `video/webm; codecs="vp9,opus"`. */
  mimeType: string
  /** Where the Segment's body starts: Cue and Seek positions count from here. */
  segmentStart: number
  /** Nanoseconds per timecode unit (Info's TimecodeScale; Matroska's default is 1 ms). */
  timecodeScale: number
  /** Where the Cues element starts, when the SeekHead says. */
  cuesAt: number | null
}

/** A cluster that starts at `seconds`, `offset` bytes into the file. */
export interface CuePoint {
  seconds: number
  offset: number
}

export type HeadResult =
  | { kind: 'head'; head: WebmHead }
  | { kind: 'more' } // the head runs past these bytes
  | { kind: 'unsupported'; reason: string }

/** Codec IDs this module can name for MSE. AV1 is left out: its codec string needs the profile and level. */
const CODECS: Record<string, string> = { V_VP8: 'vp8', V_VP9: 'vp9', A_OPUS: 'opus', A_VORBIS: 'vorbis' }

const DEFAULT_TIMECODE_SCALE = 1_000_000
/** Matroska's TrackType of subtitle tracks. */
const SUBTITLE_TRACK_TYPE = 0x11
/** A head larger than this is not a WebM we can open (ffmpeg's is a few hundred bytes). */
export const MAX_HEAD_BYTES = 256 * 1024

export class WebmError extends Error {
  override name = 'WebmError'
}

/** Document types and codec IDs are a few ASCII bytes; a longer field is cut (it names nothing we know). */
const MAX_TEXT_BYTES = 64

function text(bytes: Uint8Array, start: number, size: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + Math.min(size, MAX_TEXT_BYTES))).replace(
    /\0+$/,
    '',
  )
}

/** The children of the body [start, end): each with its header; stops at the first one not wholly there. */
function* children(bytes: Uint8Array, start: number, end: number): Generator<EbmlHeader & { end: number }> {
  let at = start
  while (at < end) {
    const h = header(bytes, at)
    if (!h || h.size === null || h.start + h.size > bytes.length) return
    yield { ...h, end: h.start + h.size }
    at = h.start + h.size
  }
}

/**
 * Reads the head of a WebM file — EBML header, Segment, and the Segment's children up to the first Cluster —
 * from its first bytes. `more` when they stop short of the first Cluster (ask again with more bytes).
 */
export function parseHead(bytes: Uint8Array): HeadResult {
  try {
    const result = readHead(bytes)
    // Whatever keeps it from ending (a huge header, endless small elements), it is not a head we can use.
    if (result.kind === 'more' && bytes.length >= MAX_HEAD_BYTES)
      return unsupported('its head is larger than expected')
    return result
  } catch (err) {
    // Bytes from a peer: whatever breaks the reading (WebmError for what EBML forbids), it is not a head.
    return { kind: 'unsupported', reason: err instanceof Error ? err.message : String(err) }
  }
}

function readHead(bytes: Uint8Array): HeadResult {
  const more = { kind: 'more' } as const
  const ebml = header(bytes, 0)
  if (!ebml) return more
  if (ebml.id !== ID.EBML || ebml.size === null) return unsupported('it does not start with an EBML header')
  if (ebml.start + ebml.size > bytes.length) return more
  let docType = 'matroska'
  for (const child of children(bytes, ebml.start, ebml.start + ebml.size))
    if (child.id === ID.DocType) docType = text(bytes, child.start, child.end - child.start)
  if (docType !== 'webm') return unsupported(`its document type is “${docType}”, not “webm”`)

  const segment = header(bytes, ebml.start + ebml.size)
  if (!segment) return more
  if (segment.id !== ID.Segment) return unsupported('no Segment follows the EBML header')
  let timecodeScale = DEFAULT_TIMECODE_SCALE
  let cuesAt: number | null = null
  let codecs: string[] | null = null
  let at = segment.start
  for (;;) {
    const child = header(bytes, at)
    if (!child) return more
    if (child.id === ID.Cluster) break
    if (child.size === null) return unsupported('an element before the first Cluster has no size')
    const end = child.start + child.size
    if (end > bytes.length) {
      if (end - segment.start > MAX_HEAD_BYTES) return unsupported('its head is larger than expected')
      return more
    }
    if (child.id === ID.SeekHead) cuesAt ??= cuesPosition(bytes, child.start, end, segment.start)
    else if (child.id === ID.Info) timecodeScale = infoScale(bytes, child.start, end)
    else if (child.id === ID.Tracks) codecs = trackCodecs(bytes, child.start, end)
    at = end
  }
  if (!codecs) return unsupported('it has no Tracks before its first Cluster')
  const names = codecs.map((id) => CODECS[id])
  const unknown = codecs.find((id) => !CODECS[id])
  if (unknown !== undefined || names.length === 0)
    return unsupported(`codec ${unknown ?? '(none)'} can't be named for Media Source Extensions`)
  const head: WebmHead = {
    mimeType: `video/webm; codecs="${names.join(',')}"`,
    segmentStart: segment.start,
    timecodeScale,
    cuesAt,
  }
  return { kind: 'head', head }
}

function unsupported(reason: string): HeadResult {
  return { kind: 'unsupported', reason }
}

function cuesPosition(bytes: Uint8Array, start: number, end: number, segmentStart: number): number | null {
  for (const seek of children(bytes, start, end)) {
    if (seek.id !== ID.Seek) continue
    let target: number | null = null
    let position: number | null = null
    for (const field of children(bytes, seek.start, seek.end)) {
      if (field.id === ID.SeekID) target = uint(bytes, field.start, field.end - field.start)
      if (field.id === ID.SeekPosition) position = uint(bytes, field.start, field.end - field.start)
    }
    if (target === ID.Cues && position !== null) return segmentStart + position
  }
  return null
}

function infoScale(bytes: Uint8Array, start: number, end: number): number {
  for (const field of children(bytes, start, end))
    if (field.id === ID.TimecodeScale)
      return uint(bytes, field.start, field.end - field.start) || DEFAULT_TIMECODE_SCALE
  return DEFAULT_TIMECODE_SCALE
}

/**
 * The codec IDs of the played tracks. Subtitle tracks are left out: MSE plays none (media/embedded-subtitles.ts
 * reads them), and Chromium's SourceBuffer passes over them in the media it is given.
 */
function trackCodecs(bytes: Uint8Array, start: number, end: number): string[] {
  const codecs: string[] = []
  for (const entry of children(bytes, start, end)) {
    if (entry.id !== ID.TrackEntry) continue
    let codec: string | null = null
    let type = 0
    for (const field of children(bytes, entry.start, entry.end)) {
      if (field.id === ID.CodecID) codec = text(bytes, field.start, field.end - field.start)
      if (field.id === ID.TrackType) type = uint(bytes, field.start, field.end - field.start)
    }
    if (codec !== null && type !== SUBTITLE_TRACK_TYPE) codecs.push(codec)
  }
  return codecs
}

/**
 * The size in bytes of the element whose first bytes are `bytes` (header included), or null when they are
 * too few to tell. Used to learn how much of the file the Cues take before reading them.
 */
export function elementLength(bytes: Uint8Array, expectedId: number): number | null {
  const h = header(bytes, 0)
  if (!h) return null
  if (h.id !== expectedId) throw new WebmError(`expected element 0x${expectedId.toString(16)}`)
  if (h.size === null) throw new WebmError('the element has no size')
  return h.start + h.size
}

/** The cue points of a Cues element (`bytes` starts with it), in time order, offsets from the file's start. */
export function parseCues(
  bytes: Uint8Array,
  head: Pick<WebmHead, 'segmentStart' | 'timecodeScale'>,
): CuePoint[] {
  const cues = header(bytes, 0)
  if (!cues || cues.id !== ID.Cues || cues.size === null) throw new WebmError('not a Cues element')
  const points: CuePoint[] = []
  for (const point of children(bytes, cues.start, Math.min(bytes.length, cues.start + cues.size))) {
    if (point.id !== ID.CuePoint) continue
    let time: number | null = null
    let position: number | null = null
    for (const field of children(bytes, point.start, point.end)) {
      if (field.id === ID.CueTime) time = uint(bytes, field.start, field.end - field.start)
      if (field.id === ID.CueTrackPositions && position === null) {
        for (const pos of children(bytes, field.start, field.end))
          if (pos.id === ID.CueClusterPosition) position = uint(bytes, pos.start, pos.end - pos.start)
      }
    }
    if (time !== null && position !== null)
      points.push({ seconds: (time * head.timecodeScale) / 1e9, offset: head.segmentStart + position })
  }
  return points.sort((a, b) => a.seconds - b.seconds)
}

/** The time of the first cue point at or after `seconds` (a keyframe's: cues point at them), or null. */
export function cueAtOrAfter(cues: readonly CuePoint[], seconds: number): number | null {
  for (const cue of cues) if (cue.seconds >= seconds) return cue.seconds
  return null
}

/** Where to fetch from to play `seconds`: the last cluster starting at or before it (the first if none). */
export function clusterFor(cues: readonly CuePoint[], seconds: number): CuePoint | null {
  let found: CuePoint | null = cues[0] ?? null
  for (const cue of cues) {
    if (cue.seconds > seconds) break
    found = cue
  }
  return found
}
