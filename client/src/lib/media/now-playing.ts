/**
 * What the player shows for the selected item (`NowPlaying`), and the torrent's subtitles for it: found next
 * to the video (media/subtitles.ts), read whole, converted to WebVTT and handed to the `<video>` as blob URLs, which
 * are revoked when another item (or none) is shown.
 */
import type { CueList } from './embedded-subtitles.ts'
import type { FileChoice } from './files.ts'
import { explainPlaybackError, MEDIA_ERR } from './formats.ts'
import { decodeSubtitleBytes, findSubtitles, toWebVtt } from './subtitles.ts'

/** A torrent rarely carries more; each one is read whole, so keep the number bounded. */
const MAX_SUBTITLES = 8

export interface SubtitleTrack {
  src: string
  label: string
  language: string | undefined
  /** A track inside the played file: `src` is an empty WebVTT file, the cues come here as the file streams. */
  cues?: CueList
}

/** What the player shows for the selected item. */
export interface NowPlaying {
  itemId: string
  /** The torrent's; null for a web link. */
  infoHash: string | null
  title: string
  state: 'loading' | 'streaming' | 'error'
  fileIndex: number | null
  fileName: string | null
  /** Every audio/video file of the torrent, best first, for the file chooser. */
  choices: FileChoice[]
  subtitles: SubtitleTrack[]
  /** Why it can't play, for people. */
  error: string | null
  /** It plays, but something is off (a "maybe" container, no picture). */
  warning: string | null
}

/**
 * The `<video>` failed (`code`: its `MediaError` code). Only a failure of the current file counts: an emptied
 * source (no `src`, or an abort because we replaced it) reports one too.
 */
export function afterVideoError(
  now: NowPlaying | null,
  code: number | undefined,
  hasSource: boolean,
): NowPlaying | null {
  if (!now?.fileName || code === undefined || code === MEDIA_ERR.ABORTED || !hasSource) return now
  return { ...now, state: 'error', error: explainPlaybackError(now.fileName, code) }
}

/**
 * The `<video>` loaded the file's metadata. A playback error before is past (MSE refused the file and the
 * worker then loaded it); a video whose picture has no width plays sound only (a codec we can't decode).
 */
export function afterVideoMetadata(now: NowPlaying | null, videoWidth: number): NowPlaying | null {
  if (!now?.fileName) return now
  const recovered: NowPlaying = now.state === 'error' ? { ...now, state: 'streaming', error: null } : now
  const kind = now.choices.find((c) => c.index === now.fileIndex)?.kind
  if (kind !== 'video' || videoWidth !== 0) return recovered
  return { ...recovered, warning: explainPlaybackError(now.fileName, 'no-picture') }
}

/**
 * The failure `at` reported (`problem`: the element's error, or a picture it can't show) told in the words of
 * the codec it can't play (`sentence`, media/codecs.ts), if the same file is still shown.
 */
export function nameUnplayable(
  now: NowPlaying | null,
  at: Pick<NowPlaying, 'itemId' | 'fileIndex'>,
  problem: 'error' | 'no-picture',
  sentence: string,
): NowPlaying | null {
  if (!now || now.itemId !== at.itemId || now.fileIndex !== at.fileIndex) return now
  if (problem === 'error' && now.state === 'error') return { ...now, error: sentence }
  if (problem === 'no-picture' && now.state !== 'error')
    return { ...now, warning: `${sentence} Only its sound plays.` }
  return now
}

/** Reads a small file of a torrent whole (the torrent client does). */
export interface TorrentFileReader {
  readFile(infoHash: string, fileIndex: number, maxBytes?: number): Promise<Uint8Array>
}

/** The subtitle tracks of the shown item, and the blob URLs they live at. */
export class Subtitles {
  readonly #client: TorrentFileReader
  #urls: string[] = []

  constructor(client: TorrentFileReader) {
    this.#client = client
  }

  /**
   * The subtitles next to `videoName` in the torrent, as tracks (unreadable ones skipped). Null when the item
   * stopped being current (`current()` turned false) while they were read.
   */
  async load(
    infoHash: string,
    files: readonly { name: string; path: string; length: number }[],
    videoName: string,
    current: () => boolean,
  ): Promise<SubtitleTrack[] | null> {
    const tracks: SubtitleTrack[] = []
    for (const sub of findSubtitles(files, videoName).slice(0, MAX_SUBTITLES)) {
      try {
        const bytes = await this.#client.readFile(infoHash, sub.index)
        if (!current()) return null
        const vtt = toWebVtt(decodeSubtitleBytes(bytes))
        const src = URL.createObjectURL(new Blob([vtt], { type: 'text/vtt' }))
        this.#urls.push(src)
        tracks.push({ src, label: sub.label, language: sub.language })
      } catch (err) {
        console.warn(`stream: skipped subtitles ${sub.name}`, err)
      }
    }
    return tracks
  }

  /** Frees every track's blob URL (the item they were for is no longer shown). */
  revoke(): void {
    for (const url of this.#urls.splice(0)) URL.revokeObjectURL(url)
  }
}
