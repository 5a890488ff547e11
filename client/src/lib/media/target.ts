/**
 * What streaming sees of the player: a place to attach a source, and the playhead that source feeds. The
 * player module (player/video.ts) implements it; streaming never touches the `<video>` itself.
 */

/**
 * The media events a source may follow (an MSE pump wakes on them), and `seek`: the app moved the play head. It
 * fires at once, inside the move, ahead of the element's own `seeking`, which a busy page may dispatch a second
 * or more later.
 */
export type PlayheadEvent = 'seeking' | 'waiting' | 'timeupdate' | 'seek'

export interface PlayheadView {
  readonly currentTime: number
  readonly duration: number
  readonly buffered: TimeRanges
  readonly seeking: boolean
  /** Returns an unsubscribe function. */
  on(event: PlayheadEvent, listener: () => void): () => void
}

/**
 * How the element gets its bytes: a dropped file, a Media Source this page feeds, the service worker, a web
 * link the element loads itself, or an HLS stream hls.js feeds (media/hls.ts).
 */
export type SourceKind = 'file' | 'mse' | 'worker' | 'url' | 'hls'

export interface AttachedSource {
  readonly url: string
  readonly kind: SourceKind
  /**
   * A source a library feeds into the element itself (hls.js): it is handed the element, which then does not
   * load `url`.
   */
  mount?(element: HTMLMediaElement): void
  /** Frees what backs the URL (a `blob:` URL, a MediaSource) once the element has let go of it. */
  release?(): void
  /**
   * The time of the first keyframe at or after `seconds`, when this source has read the file's index
   * (media/keyframes.ts); null otherwise. A seek bar's seek may land there (sync/seek-target.ts).
   */
  keyframeAtOrAfter?(seconds: number): number | null
}

export interface SourceTarget extends PlayheadView {
  /** Plays `source` from now on; the previous source is released. */
  attachSource(source: AttachedSource): void
  /** Empties the element; the source is released. */
  detachSource(): void
  /** Whether `source` is the one attached now. */
  isAttached(source: AttachedSource): boolean
}
