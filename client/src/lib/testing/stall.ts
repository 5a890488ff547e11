/**
 * A testing aid: a `Player` that can be made to starve for a while, as if the network stopped delivering.
 *
 * While stalled, the real element is paused (our own operation, so no room command), and the snapshot reports
 * what a starving `<video>` reports: not paused if it wants to play, `readyState` at most HAVE_CURRENT_DATA,
 * nothing buffered ahead. `play()` only records the wish. When the stall ends the element resumes if it should
 * be playing. E2e tests reach it through `window.__theatron.playback.simulateStall(ms)` (hooks.ts): throttling a real
 * torrent is not possible from a test (WebRTC data channels ignore the browser's network emulation).
 */
import type { PlayerSnapshot } from '../sync/decide.ts'
import type { Player, UserAction } from '../sync/player.ts'

/** `HTMLMediaElement.HAVE_CURRENT_DATA`: a frame to show, nothing to play on with. */
const HAVE_CURRENT_DATA = 2

export class StallablePlayer implements Player {
  #inner: Player
  #now: () => number
  #until = -Infinity
  /** while stalled: whether the element would be playing if it had data */
  #wantsToPlay = false

  constructor(inner: Player, now: () => number) {
    this.#inner = inner
    this.#now = now
  }

  get stalled(): boolean {
    return this.#now() < this.#until
  }

  /** Starve for `ms` from now (extends a running stall). */
  stall(ms: number): void {
    if (!this.stalled) this.#wantsToPlay = !this.#inner.snapshot().paused
    this.#until = Math.max(this.#until, this.#now() + ms)
    this.#inner.pause()
  }

  snapshot(): PlayerSnapshot {
    const snapshot = this.#inner.snapshot()
    if (!this.stalled) {
      this.#recover(snapshot)
      return this.#inner.snapshot()
    }
    return {
      ...snapshot,
      paused: !this.#wantsToPlay,
      readyState: Math.min(snapshot.readyState, HAVE_CURRENT_DATA),
      bufferedAhead: 0,
    }
  }

  play(): Promise<void> {
    if (!this.stalled) return this.#inner.play()
    this.#wantsToPlay = true
    return Promise.resolve()
  }

  pause(): void {
    if (this.stalled) this.#wantsToPlay = false
    this.#inner.pause()
  }

  seek(position: number): void {
    this.#inner.seek(position)
  }

  setRate(rate: number): void {
    this.#inner.setRate(rate)
  }

  onUserAction(listener: (action: UserAction) => void): () => void {
    return this.#inner.onUserAction(listener)
  }

  onMediaProgress(listener: () => void): () => void {
    return this.#inner.onMediaProgress?.(listener) ?? (() => {})
  }

  /** The stall is over: play on if we were (or were asked to be) playing. */
  #recover(snapshot: PlayerSnapshot): void {
    if (this.#until === -Infinity) return
    this.#until = -Infinity
    const resume = this.#wantsToPlay && snapshot.paused
    this.#wantsToPlay = false
    if (resume) this.#inner.play().catch(() => {}) // refused: the controller asks again next tick
  }
}
