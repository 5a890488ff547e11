import { retryDelayMs } from '../backoff.ts'
import type { Timers } from '../timers.ts'

/**
 * Asks the signal server to introduce us again after a link to a member closed before it ever came up.
 *
 * Each side of a link opens its own half of the pipe when introduced; the server joins the halves and closes
 * one that waits too long alone. If one side was away when the other opened its half (a frozen or sleeping
 * tab), that half times out while the away side still holds an introduction it will act on when it wakes:
 * the two halves are then opened at different times and never meet, and nothing introduces the two again.
 * A new Join makes the server introduce both sides to each other at once, so they open their halves
 * together. Rejoins are spaced by a back-off that resets once any link comes up, so a member that stays
 * away costs one Join per back-off, not a loop.
 */
export class Rejoiner {
  readonly #rejoin: () => void
  readonly #timers: Timers
  /** Rejoins since a link was last up. */
  #attempt = 0
  #timer: unknown = null

  constructor(rejoin: () => void, timers: Timers) {
    this.#rejoin = rejoin
    this.#timers = timers
  }

  /** A link closed before it came up: rejoin after the current back-off (once, however many closed). */
  linkFailed(): void {
    if (this.#timer !== null) return
    const delay = retryDelayMs(++this.#attempt)
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null
      this.#rejoin()
    }, delay)
  }

  /** A link came up: the next failure waits the shortest time again. */
  linkUp(): void {
    this.#attempt = 0
  }

  stop(): void {
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer)
    this.#timer = null
  }
}
