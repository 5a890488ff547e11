/**
 * The room's `<video>` and its one owner. Every listener on the element is added here, and every change to it
 * goes through here:
 * - playback sync drives it through the `Player` seam (sync/player.ts): play, pause, seek, rate. The person's
 *   own actions on the element (native controls, a script they run) come back out as user actions; the events
 *   of the app's own operations, and those the element makes by itself, do not (see `#onMediaEvent`);
 * - streaming attaches and detaches sources through the `SourceTarget` seam (media/target.ts) and follows the
 *   playhead and the element's events through `on`.
 */
import type { AttachedSource, SourceTarget } from '../media/target.ts'
import type { PlayerSnapshot } from '../sync/decide.ts'
import { PROGRESS_EVENTS, type Player, type UserAction } from '../sync/player.ts'
import { bufferedAhead } from '../media/buffered.ts'

const HAVE_NOTHING = 0

/** The element's events, and `seek`: the app moved the play head (media/target.ts), fired by `seek` itself. */
type MediaEvent = keyof HTMLMediaElementEventMap | 'seek'
type Expected = 'play' | 'pause' | 'seeking' | 'ratechange'
/** One operation the app performed on the element, whose event has not come yet. */
type Mark = { event: Expected }

/**
 * Whether a person's input precedes this moment: the browser's transient user activation (a click, a key, a
 * tap, a script run from the devtools console; Chromium keeps it 5 s). A browser that does not tell counts
 * every event as the person's.
 */
export function personInputActive(): boolean {
  const activation = (globalThis.navigator as Partial<Navigator> | undefined)?.userActivation
  return activation ? activation.isActive : true
}

export interface VideoOptions {
  /** Whether a person's input precedes this moment (default: `personInputActive`). */
  personActive?: () => boolean
}

export class Video implements Player, SourceTarget {
  readonly #element: HTMLVideoElement
  readonly #personActive: () => boolean
  /** Each event's subscribers; the element has one listener, `#dispatch`, per event type subscribed to. */
  readonly #subscribers = new Map<MediaEvent, Set<(event: Event) => void>>()
  readonly #userListeners = new Set<(action: UserAction) => void>()
  /** Removals of the listeners on the element's text track list (`onTextTracks`). */
  readonly #trackListeners = new Set<() => void>()
  #expected: Mark[] = []
  #source: AttachedSource | null = null
  /** Sources attached so far (`data-source`). */
  #attaches = 0
  #destroyed = false

  constructor(element: HTMLVideoElement, options: VideoOptions = {}) {
    this.#element = element
    this.#personActive = options.personActive ?? personInputActive
    this.on('play', () => this.#onMediaEvent('play', { type: 'play' }))
    // Reaching the end pauses the element by itself. Loading a new source (another item or file) pauses a
    // playing element and resets its rate to 1, firing `pause` and `ratechange` with nothing loaded yet.
    // None of that is the person acting on the room.
    this.on('pause', () =>
      this.#onMediaEvent('pause', { type: 'pause' }, element.ended || element.readyState === HAVE_NOTHING),
    )
    this.on('seeking', () => this.#onMediaEvent('seeking', { type: 'seek', position: element.currentTime }))
    this.on('ratechange', () =>
      this.#onMediaEvent(
        'ratechange',
        { type: 'ratechange', rate: element.playbackRate },
        element.readyState === HAVE_NOTHING,
      ),
    )
    // A load (ours below, or a library's reload of a stream) drops the events still queued: no mark made
    // before it will be met.
    this.on('emptied', () => this.#forgetMarks())
  }

  /** Follows one of the element's events; returns an unsubscribe function. */
  on(event: MediaEvent, listener: (event: Event) => void): () => void {
    if (this.#destroyed) return () => {}
    let subscribers = this.#subscribers.get(event)
    if (!subscribers) {
      subscribers = new Set()
      this.#subscribers.set(event, subscribers)
      if (event !== 'seek') this.#element.addEventListener(event, this.#dispatch)
    }
    const set = subscribers
    set.add(listener)
    return () => set.delete(listener)
  }

  // ── what the element shows and reports ────────────────────────────────────────────────────────────────

  get currentTime(): number {
    return this.#element.currentTime
  }
  get duration(): number {
    return this.#element.duration
  }
  get buffered(): TimeRanges {
    return this.#element.buffered
  }
  get seeking(): boolean {
    return this.#element.seeking
  }
  get videoWidth(): number {
    return this.#element.videoWidth
  }
  /** The element's `MediaError` code, if it failed. */
  get errorCode(): number | undefined {
    return this.#element.error?.code
  }
  /** Whether the element has a source at all (a failure with none is not a playback error). */
  get hasSource(): boolean {
    return this.#element.currentSrc !== '' || this.#element.srcObject !== null
  }

  canPlayType(type: string): CanPlayTypeResult {
    return this.#element.canPlayType(type)
  }

  // ── SourceTarget: streaming's seam ────────────────────────────────────────────────────────────────────

  attachSource(source: AttachedSource): void {
    if (this.#destroyed) return source.release?.()
    const previous = this.#source
    this.#source = source
    this.#forgetMarks() // the load below drops the events still queued
    this.#element.dataset['stream'] = source.kind
    // Each attach gets its own number (a test hook): a source object has no URL to tell one from the next.
    this.#element.dataset['source'] = String(++this.#attaches)
    // A source object (a worker's MediaSource) would win over any `src`: the last one's goes first.
    if (this.#element.srcObject !== null) this.#element.srcObject = null
    if (source.mount) source.mount(this.#element)
    else this.#element.src = source.url
    if (previous !== source) previous?.release?.()
  }

  detachSource(): void {
    const previous = this.#source
    this.#source = null
    const element = this.#element
    if (element.hasAttribute('src') || element.currentSrc || element.srcObject !== null) {
      element.removeAttribute('src')
      element.srcObject = null
      this.#forgetMarks() // the load drops the events still queued
      element.load()
    }
    previous?.release?.()
  }

  /** The first keyframe at or after `seconds` in the attached file, when its source knows (media/target.ts). */
  keyframeAtOrAfter(seconds: number): number | null {
    return this.#source?.keyframeAtOrAfter?.(seconds) ?? null
  }

  isAttached(source: AttachedSource): boolean {
    return this.#source === source
  }

  // ── Player: playback sync's seam ──────────────────────────────────────────────────────────────────────

  snapshot(): PlayerSnapshot {
    const v = this.#element
    return {
      currentTime: v.currentTime,
      paused: v.paused,
      playbackRate: v.playbackRate,
      readyState: v.readyState,
      seeking: v.seeking,
      bufferedAhead: bufferedAhead(v.buffered, v.currentTime),
      duration: v.duration,
    }
  }

  async play(): Promise<void> {
    if (!this.#element.paused) return
    const mark = this.#expect('play')
    // Played from its end, the element first seeks to the start by itself: that `seeking` is ours too.
    const restart = this.#element.ended ? this.#expect('seeking') : null
    try {
      await this.#element.play()
    } catch (error) {
      // refused: no `play` event will come, nor the restart's `seeking`
      this.#unexpect(mark)
      if (restart) this.#unexpect(restart)
      throw error
    }
  }

  pause(): void {
    if (this.#element.paused) return
    this.#expect('pause')
    this.#element.pause()
  }

  /** Mute or unmute this person's sound (the room's playback is not touched). Returns whether muted now. */
  toggleMuted(): boolean {
    this.#element.muted = !this.#element.muted
    return this.#element.muted
  }

  // ── this person's own sound and captions (never the room's) ──────────────────────────────────────────

  get volume(): number {
    return this.#element.volume
  }
  get muted(): boolean {
    return this.#element.muted
  }

  /** Sets this person's volume, 0–1; turning it up unmutes. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume)) return
    const level = Math.min(1, Math.max(0, volume))
    this.#element.volume = level
    if (level > 0 && this.#element.muted) this.#element.muted = false
  }

  setMuted(muted: boolean): void {
    this.#element.muted = muted
  }

  get textTracks(): TextTrackList {
    return this.#element.textTracks
  }

  /** Shows the text track at `index` of `textTracks` and hides the others; null hides them all. */
  showTextTrack(index: number | null): void {
    const tracks = this.#element.textTracks
    for (let i = 0; i < tracks.length; i++) {
      const track = tracks[i]!
      const mode = i === index ? 'showing' : 'disabled'
      if (track.mode !== mode) track.mode = mode
    }
  }

  /** Follows the text tracks coming, going and changing mode; returns an unsubscribe function. */
  onTextTracks(listener: () => void): () => void {
    if (this.#destroyed) return () => {}
    const tracks = this.#element.textTracks
    const types = ['addtrack', 'removetrack', 'change'] as const
    for (const type of types) tracks.addEventListener(type, listener)
    const off = () => {
      this.#trackListeners.delete(off)
      for (const type of types) tracks.removeEventListener(type, listener)
    }
    this.#trackListeners.add(off)
    return off
  }

  seek(position: number): void {
    // Every assignment fires its own `seeking`, even mid-seek; with nothing loaded it only sets where the
    // element will start, and fires none, so no mark may wait for one.
    if (this.#element.readyState !== HAVE_NOTHING) this.#expect('seeking')
    this.#element.currentTime = position
    // Streaming learns of the move now: the element's `seeking` waits behind whatever the page has queued.
    try {
      this.#dispatch(new Event('seek'))
    } catch (err) {
      console.warn('player: a seek listener failed', err)
    }
  }

  setRate(rate: number): void {
    if (this.#element.playbackRate === rate) return
    this.#expect('ratechange')
    this.#element.playbackRate = rate
  }

  onUserAction(listener: (action: UserAction) => void): () => void {
    this.#userListeners.add(listener)
    return () => this.#userListeners.delete(listener)
  }

  onMediaProgress(listener: () => void): () => void {
    const off = PROGRESS_EVENTS.map((event) => this.on(event, listener))
    return () => {
      for (const unsubscribe of off) unsubscribe()
    }
  }

  /** Removes every listener from the element and releases the attached source. */
  destroy(): void {
    if (this.#destroyed) return
    this.detachSource()
    this.#destroyed = true
    for (const event of this.#subscribers.keys()) this.#element.removeEventListener(event, this.#dispatch)
    this.#subscribers.clear()
    for (const off of [...this.#trackListeners]) off()
    this.#userListeners.clear()
    this.#expected = []
  }

  // ── private ───────────────────────────────────────────────────────────────────────────────────────────

  readonly #dispatch = (event: Event): void => {
    for (const subscriber of [...(this.#subscribers.get(event.type as MediaEvent) ?? [])]) subscriber(event)
  }

  /**
   * Marks an operation of ours. The browser fires one event per operation, in the order they were made,
   * however late a busy main thread dispatches it: the mark waits for that event, not for a deadline.
   */
  #expect(event: Expected): Mark {
    const mark = { event }
    this.#expected.push(mark)
    return mark
  }

  #unexpect(mark: Mark): void {
    this.#expected = this.#expected.filter((m) => m !== mark)
  }

  #forgetMarks(): void {
    this.#expected = []
  }

  /**
   * Who caused the event. Ours when an operation of the same kind is still waiting for its event (the oldest
   * is met). Otherwise the element's own when `ownMotion` says so (the end, a load) or when no person's input
   * precedes it (a pause or seek the browser makes by itself); only what is left is the person's action.
   */
  #onMediaEvent(event: Expected, action: UserAction, ownMotion = false): void {
    const index = this.#expected.findIndex((m) => m.event === event)
    if (index >= 0) {
      this.#expected.splice(index, 1)
      return
    }
    if (ownMotion || !this.#personActive()) return
    for (const listener of [...this.#userListeners]) listener(action)
  }
}
