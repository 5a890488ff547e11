/**
 * The room's `<video>` and its one owner. Every listener on the element is added here, and every change to it
 * goes through here:
 * - playback sync drives it through the `Player` seam (sync/player.ts): play, pause, seek, rate. The person's
 *   own actions on the element (native controls, keyboard, a script) come back out as user actions, while the
 *   events of the controller's own corrections are swallowed;
 * - streaming attaches and detaches sources through the `SourceTarget` seam (media/target.ts) and follows the
 *   playhead and the element's events through `on`.
 */
import type { AttachedSource, SourceTarget } from '../media/target.ts'
import type { PlayerSnapshot } from '../sync/decide.ts'
import { PROGRESS_EVENTS, type Player, type UserAction } from '../sync/player.ts'
import { bufferedAhead } from '../media/buffered.ts'

/**
 * An expected event that never came (the browser coalesced it) must not swallow a later user action. Counted
 * in the events' own time stamps (when the element fired them): a busy page may run the listener of a
 * correction's `seeking` seconds after the element fired it, and that event is still ours.
 */
export const EXPECT_TIMEOUT_MS = 1_000

const HAVE_NOTHING = 0

type MediaEvent = keyof HTMLMediaElementEventMap
type Expected = 'play' | 'pause' | 'seeking' | 'ratechange'
type Mark = { event: Expected; deadline: number }

export class Video implements Player, SourceTarget {
  readonly #element: HTMLVideoElement
  readonly #now: () => number
  /** Each event's subscribers; the element has one listener, `#dispatch`, per event type subscribed to. */
  readonly #subscribers = new Map<MediaEvent, Set<(event: Event) => void>>()
  readonly #userListeners = new Set<(action: UserAction) => void>()
  /** Removals of the listeners on the element's text track list (`onTextTracks`). */
  readonly #trackListeners = new Set<() => void>()
  #expected: Mark[] = []
  #source: AttachedSource | null = null
  #destroyed = false

  constructor(element: HTMLVideoElement, now: () => number = () => performance.now()) {
    this.#element = element
    this.#now = now
    this.on('play', (event) => this.#onMediaEvent(event, 'play', { type: 'play' }))
    // Reaching the end pauses the element by itself. Loading a new source (another item or file) pauses a
    // playing element and resets its rate to 1, firing `pause` and `ratechange` with nothing loaded yet.
    // None of that is the person acting on the room.
    this.on('pause', (event) => {
      if (!element.ended && element.readyState !== HAVE_NOTHING)
        this.#onMediaEvent(event, 'pause', { type: 'pause' })
    })
    this.on('seeking', (event) =>
      this.#onMediaEvent(event, 'seeking', { type: 'seek', position: element.currentTime }),
    )
    this.on('ratechange', (event) => {
      if (element.readyState !== HAVE_NOTHING)
        this.#onMediaEvent(event, 'ratechange', { type: 'ratechange', rate: element.playbackRate })
    })
  }

  /** Follows one of the element's events; returns an unsubscribe function. */
  on(event: MediaEvent, listener: (event: Event) => void): () => void {
    if (this.#destroyed) return () => {}
    let subscribers = this.#subscribers.get(event)
    if (!subscribers) {
      subscribers = new Set()
      this.#subscribers.set(event, subscribers)
      this.#element.addEventListener(event, this.#dispatch)
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
    return this.#element.currentSrc !== ''
  }

  canPlayType(type: string): CanPlayTypeResult {
    return this.#element.canPlayType(type)
  }

  // ── SourceTarget: streaming's seam ────────────────────────────────────────────────────────────────────

  attachSource(source: AttachedSource): void {
    if (this.#destroyed) return source.release?.()
    const previous = this.#source
    this.#source = source
    this.#element.dataset['stream'] = source.kind
    if (source.mount) source.mount(this.#element)
    else this.#element.src = source.url
    if (previous !== source) previous?.release?.()
  }

  detachSource(): void {
    const previous = this.#source
    this.#source = null
    const element = this.#element
    if (element.hasAttribute('src') || element.currentSrc) {
      element.removeAttribute('src')
      element.load()
    }
    previous?.release?.()
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
    try {
      await this.#element.play()
    } catch (error) {
      this.#unexpect(mark) // refused: no `play` event will come
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
    this.#expect('seeking') // every assignment fires its own `seeking`, even mid-seek
    this.#element.currentTime = position
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

  #expect(event: Expected): Mark {
    const mark = { event, deadline: this.#now() + EXPECT_TIMEOUT_MS }
    this.#expected.push(mark)
    return mark
  }

  #unexpect(mark: Mark): void {
    this.#expected = this.#expected.filter((m) => m !== mark)
  }

  /**
   * Swallows the event if we caused it, otherwise it was the person. Expectations are matched at the time the
   * element fired the event (never later than now), not when this listener runs.
   */
  #onMediaEvent(fired: Event, event: Expected, action: UserAction): void {
    const at = Math.min(fired.timeStamp, this.#now())
    this.#expected = this.#expected.filter((m) => m.deadline >= at)
    const index = this.#expected.findIndex((m) => m.event === event)
    if (index >= 0) {
      this.#expected.splice(index, 1)
      return
    }
    for (const listener of [...this.#userListeners]) listener(action)
  }
}
