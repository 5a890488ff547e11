/**
 * Whether this browser can play a file, guessed before a single byte is downloaded: from the extension, and
 * where a `canPlayType` probe is given, from what the browser says. A container name is only a hint at the
 * codecs inside (an .mkv may hold H.264 or HEVC), so the answer is "yes", "maybe" or "no" with a reason a
 * person can act on; `explainPlaybackError` covers what only playback reveals.
 *
 * What Chromium's `canPlayType` answers: WebM VP8/VP9/AV1 + Vorbis/Opus "probably"; MP4 H.264, AV1, VP9 with
 * AAC/Opus/FLAC "probably"; Matroska "maybe"; HEVC, AC-3, E-AC-3, Theora, QuickTime, AVI, MPEG-TS, FLV, WMV "".
 */

export type MediaKind = 'video' | 'audio'
export type Verdict = 'yes' | 'maybe' | 'no'

export interface MediaInfo {
  kind: MediaKind
  /** Short container name for people: "WebM", "MP4", "Matroska (MKV)". */
  container: string
  mimeType: string
  /** Typical codec strings to ask the browser about, most common first. */
  probes: string[]
}

export interface Playability {
  verdict: Verdict
  /** A sentence for the person when the verdict is not a plain "yes". */
  reason?: string
}

/** `HTMLMediaElement.canPlayType`, injected so this module stays testable without a DOM. */
export type CanPlayType = (type: string) => CanPlayTypeResult | ''

const WEBM_PROBES = [
  'video/webm; codecs="vp9, opus"',
  'video/webm; codecs="vp8, vorbis"',
  'video/webm; codecs="av01.0.05M.08"',
]
const MP4_PROBES = ['video/mp4; codecs="avc1.640028, mp4a.40.2"', 'video/mp4; codecs="av01.0.05M.08"']

const TABLE: Record<string, MediaInfo> = {
  webm: { kind: 'video', container: 'WebM', mimeType: 'video/webm', probes: WEBM_PROBES },
  mp4: { kind: 'video', container: 'MP4', mimeType: 'video/mp4', probes: MP4_PROBES },
  m4v: { kind: 'video', container: 'MP4', mimeType: 'video/mp4', probes: MP4_PROBES },
  mkv: {
    kind: 'video',
    container: 'Matroska (MKV)',
    mimeType: 'video/x-matroska',
    probes: ['video/x-matroska; codecs="avc1.640028"'],
  },
  mov: { kind: 'video', container: 'QuickTime (MOV)', mimeType: 'video/quicktime', probes: [] },
  ogv: {
    kind: 'video',
    container: 'Ogg video',
    mimeType: 'video/ogg',
    probes: ['video/ogg; codecs="theora"'],
  },
  avi: { kind: 'video', container: 'AVI', mimeType: 'video/x-msvideo', probes: [] },
  wmv: { kind: 'video', container: 'Windows Media (WMV)', mimeType: 'video/x-ms-wmv', probes: [] },
  flv: { kind: 'video', container: 'Flash video (FLV)', mimeType: 'video/x-flv', probes: [] },
  ts: { kind: 'video', container: 'MPEG transport stream', mimeType: 'video/mp2t', probes: [] },
  m2ts: { kind: 'video', container: 'MPEG transport stream', mimeType: 'video/mp2t', probes: [] },
  mpg: { kind: 'video', container: 'MPEG', mimeType: 'video/mpeg', probes: [] },
  mpeg: { kind: 'video', container: 'MPEG', mimeType: 'video/mpeg', probes: [] },
  '3gp': { kind: 'video', container: '3GP', mimeType: 'video/3gpp', probes: [] },
  mp3: { kind: 'audio', container: 'MP3', mimeType: 'audio/mpeg', probes: ['audio/mpeg'] },
  m4a: {
    kind: 'audio',
    container: 'AAC (M4A)',
    mimeType: 'audio/mp4',
    probes: ['audio/mp4; codecs="mp4a.40.2"'],
  },
  aac: { kind: 'audio', container: 'AAC', mimeType: 'audio/aac', probes: ['audio/aac'] },
  ogg: { kind: 'audio', container: 'Ogg', mimeType: 'audio/ogg', probes: ['audio/ogg; codecs="vorbis"'] },
  oga: { kind: 'audio', container: 'Ogg', mimeType: 'audio/ogg', probes: ['audio/ogg; codecs="vorbis"'] },
  opus: { kind: 'audio', container: 'Opus', mimeType: 'audio/ogg', probes: ['audio/ogg; codecs="opus"'] },
  flac: { kind: 'audio', container: 'FLAC', mimeType: 'audio/flac', probes: ['audio/flac'] },
  wav: { kind: 'audio', container: 'WAV', mimeType: 'audio/wav', probes: ['audio/wav'] },
}

/**
 * Verdicts when no probe is available, from Chromium's answers above. MKV and MOV are "maybe":
 * Chromium plays them when the codecs inside are ones it knows (H.264, VP9, AV1; AAC, Opus).
 */
const STATIC: Record<string, Verdict> = { mkv: 'maybe', mov: 'maybe', '3gp': 'maybe', ogv: 'no' }
const NEVER = new Set(['avi', 'wmv', 'flv', 'ts', 'm2ts', 'mpg', 'mpeg'])

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** What a file is, by its name; null when it isn't audio or video we know of. */
export function mediaInfo(name: string): MediaInfo | null {
  return TABLE[extensionOf(name)] ?? null
}

/** Can this browser play `name`? Without `canPlayType` the answer comes from the static table. */
export function playability(name: string, canPlayType?: CanPlayType): Playability {
  const ext = extensionOf(name)
  const info = TABLE[ext]
  if (!info) return { verdict: 'no', reason: `“${name}” isn’t a video or audio file.` }
  const cannot = `This browser can’t play ${info.container} files. Try another file, or convert it to MP4 (H.264) or WebM.`
  if (NEVER.has(ext)) return { verdict: 'no', reason: cannot }

  const verdict = canPlayType ? probe(info, canPlayType) : (STATIC[ext] ?? 'yes')
  if (verdict === 'no') return { verdict, reason: cannot }
  if (verdict === 'maybe') {
    return {
      verdict,
      reason: `${info.container} files play only when the video inside is H.264, VP9 or AV1; we’ll try.`,
    }
  }
  return { verdict }
}

function probe(info: MediaInfo, canPlayType: CanPlayType): Verdict {
  if (info.probes.some((type) => canPlayType(type) === 'probably')) return 'yes'
  return canPlayType(info.mimeType) === '' && info.probes.every((type) => canPlayType(type) === '')
    ? 'no'
    : 'maybe'
}

/** `MediaError.code` values (the DOM constants, so this module needs no DOM). */
export const MEDIA_ERR = { ABORTED: 1, NETWORK: 2, DECODE: 3, SRC_NOT_SUPPORTED: 4 } as const

/**
 * A plain-language sentence for a `<video>` failure, or for a file that plays sound but no picture
 * (`videoWidth === 0` after `loadedmetadata`: typically HEVC video, which many Chromium builds can't decode).
 */
export function explainPlaybackError(name: string, problem: number | 'no-picture'): string {
  const container = mediaInfo(name)?.container ?? 'this kind of'
  switch (problem) {
    case 'no-picture':
      return `“${name}” plays sound but no picture: its video is in a format this browser can’t show (often HEVC/H.265).`
    case MEDIA_ERR.SRC_NOT_SUPPORTED:
      return `This browser can’t play “${name}”: the ${container} file uses a format it doesn’t support.`
    case MEDIA_ERR.DECODE:
      return `“${name}” stopped playing because part of it couldn’t be decoded. It may be damaged.`
    case MEDIA_ERR.NETWORK:
      return `Playback of “${name}” stopped while loading data. It will resume when more of the file arrives.`
    default:
      return `Playback of “${name}” stopped.`
  }
}
