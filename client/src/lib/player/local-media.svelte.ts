/**
 * What the player controls show of the room's `<video>` that is this person's alone, never the room's: what
 * is buffered, the volume and mute, the subtitle tracks and which one shows. It follows the element through
 * its owner (video.ts) and changes it only through it.
 *
 * `localStorage['theatron:volume']` remembers the volume (0–1) for the next room and the next visit.
 */
import { untrack } from 'svelte'
import { bufferedSpans, type BufferedSpan } from '../media/buffered.ts'
import type { Video } from './video.ts'

export const VOLUME_KEY = 'theatron:volume'

/** Where the volume is remembered (localStorage in the app). */
export type VolumeStorage = Pick<Storage, 'getItem' | 'setItem'>

/** A subtitle track the menu offers: its index in the element's `textTracks`, and what to call it. */
export interface TrackChoice {
  index: number
  label: string
}

/** The element's events after which what is buffered, or the duration it is measured against, may differ. */
const BUFFER_EVENTS = [
  'progress',
  'durationchange',
  'loadedmetadata',
  'timeupdate',
  'seeked',
  'emptied',
] as const

/** A remembered volume, or null for nothing or garbage. */
export function parseVolume(raw: string | null): number | null {
  if (raw === null || raw.trim() === '') return null
  const volume = Number(raw)
  return Number.isFinite(volume) && volume >= 0 && volume <= 1 ? volume : null
}

/** The subtitle and caption tracks a menu offers (metadata and chapters are not for reading), and the one showing. */
export function trackChoices(tracks: ArrayLike<Pick<TextTrack, 'kind' | 'label' | 'language' | 'mode'>>): {
  choices: TrackChoice[]
  shown: number | null
} {
  const choices: TrackChoice[] = []
  let shown: number | null = null
  for (let index = 0; index < tracks.length; index++) {
    const track = tracks[index]!
    if (track.kind !== 'subtitles' && track.kind !== 'captions') continue
    const label = track.label || track.language || `Track ${choices.length + 1}`
    choices.push({ index, label })
    if (shown === null && track.mode === 'showing') shown = index
  }
  return { choices, shown }
}

function sameSpans(a: readonly BufferedSpan[], b: readonly BufferedSpan[]): boolean {
  return a.length === b.length && a.every((span, i) => span.start === b[i]!.start && span.end === b[i]!.end)
}

export class LocalMedia {
  /** Buffered stretches, as percentages of the duration (media/buffered.ts `bufferedSpans`). */
  buffered = $state.raw<BufferedSpan[]>([])
  volume = $state(1)
  muted = $state(false)
  tracks = $state.raw<TrackChoice[]>([])
  /** The `textTracks` index of the subtitles showing, or null for none. */
  shownTrack = $state<number | null>(null)

  readonly #storage: VolumeStorage | null
  #video: Video | null = null
  #release: (() => void) | null = null

  constructor(storage: VolumeStorage | null) {
    this.#storage = storage
  }

  /**
   * The room's video arrived (its remembered volume applies), or went (null). Untracked: the component's
   * effect that hands the element over must not come to depend on what this reads.
   */
  attach(video: Video | null): void {
    untrack(() => this.#attach(video))
  }

  #attach(video: Video | null): void {
    this.#release?.()
    this.#release = null
    this.#video = video
    this.buffered = []
    this.tracks = []
    this.shownTrack = null
    if (!video) return
    const saved = parseVolume(this.#read())
    if (saved !== null) video.setVolume(saved)
    const offs = [
      ...BUFFER_EVENTS.map((event) => video.on(event, () => this.#readBuffered())),
      video.on('volumechange', () => this.#readVolume()),
      video.onTextTracks(() => this.#readTracks()),
    ]
    this.#release = () => offs.forEach((off) => off())
    this.#readBuffered()
    this.#readVolume()
    this.#readTracks()
  }

  /** Sets this person's volume (0–1) and remembers it; turning it up unmutes. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume)) return
    this.#video?.setVolume(volume)
    try {
      this.#storage?.setItem(VOLUME_KEY, String(Math.min(1, Math.max(0, volume))))
    } catch {
      // Storage full or refused: the volume still applies, it is only not remembered.
    }
  }

  toggleMuted(): void {
    this.#video?.toggleMuted()
  }

  /** Shows the subtitles at `index` of the element's text tracks; null turns them off. */
  showTrack(index: number | null): void {
    this.#video?.showTextTrack(index)
    this.#readTracks()
  }

  #read(): string | null {
    try {
      return this.#storage?.getItem(VOLUME_KEY) ?? null
    } catch {
      return null
    }
  }

  #readBuffered(): void {
    const video = this.#video
    if (!video) return
    const spans = bufferedSpans(video.buffered, video.duration)
    if (!sameSpans(spans, this.buffered)) this.buffered = spans
  }

  #readVolume(): void {
    const video = this.#video
    if (!video) return
    this.volume = video.volume
    this.muted = video.muted
  }

  #readTracks(): void {
    const video = this.#video
    if (!video) return
    const { choices, shown } = trackChoices(video.textTracks)
    if (
      choices.map((c) => `${c.index}:${c.label}`).join() !==
      this.tracks.map((c) => `${c.index}:${c.label}`).join()
    )
      this.tracks = choices
    this.shownTrack = shown
  }
}
