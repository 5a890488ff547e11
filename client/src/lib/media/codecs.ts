/**
 * Codec strings (RFC 6381, as `MediaSource.isTypeSupported` takes them: `avc1.64001e`, `mp4a.40.2`) named for
 * people, and the sentence a person reads when a file's codec can't be played here.
 */
import type { TrackCodec } from './feed.ts'

/** Names by the codec string's first part (its sample entry). */
const NAMES: Record<string, string> = {
  avc1: 'H.264',
  avc3: 'H.264',
  hvc1: 'HEVC',
  hev1: 'HEVC',
  dvh1: 'Dolby Vision',
  dvhe: 'Dolby Vision',
  dva1: 'Dolby Vision',
  dvav: 'Dolby Vision',
  vvc1: 'VVC (H.266)',
  vvi1: 'VVC (H.266)',
  av01: 'AV1',
  vp08: 'VP8',
  vp09: 'VP9',
  mp4v: 'MPEG-4 Part 2 video',
  'ac-3': 'Dolby Digital (AC-3)',
  'ec-3': 'Dolby Digital Plus (E-AC-3)',
  'ac-4': 'Dolby AC-4',
  dtsc: 'DTS',
  dtsh: 'DTS-HD',
  dtsl: 'DTS-HD',
  dtsx: 'DTS:X',
  opus: 'Opus',
  Opus: 'Opus',
  fLaC: 'FLAC',
  alac: 'Apple Lossless (ALAC)',
  mp3: 'MP3',
  ipcm: 'PCM',
  lpcm: 'PCM',
  sowt: 'PCM',
  twos: 'PCM',
}

/** mp4a's object types (the part after `mp4a.`): MPEG-1/2 audio is MP3, 40 is AAC. */
const MP4A: Record<string, string> = {
  '40': 'AAC',
  '67': 'AAC',
  '66': 'AAC',
  '68': 'AAC',
  '69': 'MP3',
  '6b': 'MP3',
}

/** "HEVC (hvc1)": a codec's name and the four letters a person can search for. */
export function codecName(codec: string): string {
  const [entry = codec, objectType = ''] = codec.split('.')
  const name = entry === 'mp4a' ? (MP4A[objectType.toLowerCase()] ?? 'MPEG-4 audio') : NAMES[entry]
  return name ? `${name} (${entry})` : `the “${entry}” codec`
}

/**
 * The sentence shown in place of a black picture: which codec this browser can't play, whether it is the
 * picture's or the sound's. `video` / `audio`: the unplayable codec strings of each kind.
 */
export function unplayableSentence({
  video,
  audio,
}: {
  video: readonly string[]
  audio: readonly string[]
}): string {
  const names = (codecs: readonly string[]) => [...new Set(codecs.map(codecName))].join(' and ')
  if (video.length > 0 && audio.length > 0)
    return `This video uses ${names(video)} with ${names(audio)} sound, which this browser cannot play.`
  if (video.length > 0) return `This video uses ${names(video)}, which this browser cannot play.`
  if (audio.length > 0) return `This video’s sound uses ${names(audio)}, which this browser cannot play.`
  return 'This browser cannot play this video’s format.'
}

/**
 * The sentence for the codecs among `codecs` that no path plays (`plays`: whether some path takes a type,
 * `video/mp4; codecs="…"`), or null when every one plays.
 */
export function unplayableCodecs(
  codecs: readonly TrackCodec[],
  plays: (type: string) => boolean,
): string | null {
  const refused = codecs.filter(({ kind, codec }) => !plays(`${kind}/mp4; codecs="${codec}"`))
  if (refused.length === 0) return null
  const of = (kind: TrackCodec['kind']) => refused.filter((c) => c.kind === kind).map((c) => c.codec)
  return unplayableSentence({ video: of('video'), audio: of('audio') })
}
