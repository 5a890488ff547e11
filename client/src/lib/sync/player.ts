/**
 * The only seam that touches `<video>`. The controller acts through `Player`; the person's own actions
 * (native controls, keyboard, a script calling `play()`/`pause()` or setting `currentTime`) come back out as
 * user actions, while the events caused by the controller's own corrections are swallowed.
 */
import { assertNeverAction, type Action, type PlayerSnapshot } from './decide.ts'

export type UserAction =
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'seek'; position: number }
  | { type: 'ratechange'; rate: number }

export interface Player {
  snapshot(): PlayerSnapshot
  /** Rejects when the browser refuses to play (autoplay policy): the UI should ask for a click. */
  play(): Promise<void>
  pause(): void
  seek(position: number): void
  setRate(rate: number): void
  /** Person-initiated changes only. Returns an unsubscribe function. */
  onUserAction(listener: (action: UserAction) => void): () => void
  /**
   * The element can do more than before (`loadedmetadata`, `canplay`, `seeked`): the controller should decide
   * now rather than at its next tick. Optional; returns an unsubscribe function.
   */
  onMediaProgress?(listener: () => void): () => void
  destroy(): void
}

/** The media events after which the controller has something new to decide. */
export const PROGRESS_EVENTS = ['loadedmetadata', 'canplay', 'seeked'] as const

/** Performs a controller action. */
export function perform(player: Player, action: Action): Promise<void> {
  switch (action.type) {
    case 'none':
      return Promise.resolve()
    case 'play':
      return player.play()
    case 'pause':
      player.pause()
      return Promise.resolve()
    case 'seek':
      player.seek(action.position)
      return action.play ? player.play() : Promise.resolve()
    case 'setRate':
      player.setRate(action.rate)
      return Promise.resolve()
    default:
      return assertNeverAction(action)
  }
}

/** Seconds buffered contiguously from `time` (small tolerance: `currentTime` can sit a hair before a range). */
export function bufferedAhead(ranges: TimeRanges, time: number): number {
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= time + 0.01 && time < ranges.end(i)) return ranges.end(i) - time
  }
  return 0
}

const HAVE_NOTHING = 0

/** An expected event that never came (the browser coalesced it) must not swallow a later user action. */
export const EXPECT_TIMEOUT_MS = 1_000

type Expected = 'play' | 'pause' | 'seeking' | 'ratechange'

export class VideoPlayer implements Player {
  #video: HTMLVideoElement
  #now: () => number
  #listeners = new Set<(action: UserAction) => void>()
  #expected: { event: Expected; deadline: number }[] = []
  #unbind: () => void

  constructor(video: HTMLVideoElement, now: () => number = () => performance.now()) {
    this.#video = video
    this.#now = now
    const handlers: [Expected, () => void][] = [
      ['play', () => this.#onMediaEvent('play', { type: 'play' })],
      // Reaching the end pauses the element by itself. Loading a new source (another item or file) pauses a
      // playing element and resets its rate to 1, firing `pause` and `ratechange` with nothing loaded yet.
      // None of that is the person acting on the room.
      [
        'pause',
        () =>
          !video.ended && video.readyState !== HAVE_NOTHING && this.#onMediaEvent('pause', { type: 'pause' }),
      ],
      ['seeking', () => this.#onMediaEvent('seeking', { type: 'seek', position: video.currentTime })],
      [
        'ratechange',
        () =>
          video.readyState !== HAVE_NOTHING &&
          this.#onMediaEvent('ratechange', { type: 'ratechange', rate: video.playbackRate }),
      ],
    ]
    for (const [event, handler] of handlers) video.addEventListener(event, handler)
    this.#unbind = () => {
      for (const [event, handler] of handlers) video.removeEventListener(event, handler)
    }
  }

  snapshot(): PlayerSnapshot {
    const v = this.#video
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
    if (!this.#video.paused) return
    const mark = this.#expect('play')
    try {
      await this.#video.play()
    } catch (error) {
      this.#unexpect(mark) // refused: no `play` event will come
      throw error
    }
  }

  pause(): void {
    if (this.#video.paused) return
    this.#expect('pause')
    this.#video.pause()
  }

  seek(position: number): void {
    this.#expect('seeking') // every assignment fires its own `seeking`, even mid-seek
    this.#video.currentTime = position
  }

  setRate(rate: number): void {
    if (this.#video.playbackRate === rate) return
    this.#expect('ratechange')
    this.#video.playbackRate = rate
  }

  onUserAction(listener: (action: UserAction) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  onMediaProgress(listener: () => void): () => void {
    const video = this.#video
    for (const event of PROGRESS_EVENTS) video.addEventListener(event, listener)
    return () => {
      for (const event of PROGRESS_EVENTS) video.removeEventListener(event, listener)
    }
  }

  destroy(): void {
    this.#unbind()
    this.#listeners.clear()
    this.#expected = []
  }

  #expect(event: Expected): { event: Expected; deadline: number } {
    const mark = { event, deadline: this.#now() + EXPECT_TIMEOUT_MS }
    this.#expected.push(mark)
    return mark
  }

  #unexpect(mark: { event: Expected; deadline: number }): void {
    this.#expected = this.#expected.filter((m) => m !== mark)
  }

  /** Swallows the event if we caused it, otherwise it was the person. */
  #onMediaEvent(event: Expected, action: UserAction): void {
    const now = this.#now()
    this.#expected = this.#expected.filter((m) => m.deadline >= now)
    const index = this.#expected.findIndex((m) => m.event === event)
    if (index >= 0) {
      this.#expected.splice(index, 1)
      return
    }
    for (const listener of this.#listeners) listener(action)
  }
}
