/**
 * Main-thread lag: how late the playback loop's interval timer fires. On a busy page (a torrent starting, a
 * video decoding, two cores shared by three browsers in the tests) timers and data-channel messages wait
 * behind long tasks, and a command that arrives or wakes after its scheduled instant makes its member seek in
 * late. Each member reports its recent worst lag with its status, and a command's lead covers the room's
 * (timeline.ts `commandLeadMs`). Pure: the store feeds it the app clock.
 */

/** Lag is remembered this long: the worst of the last few seconds, not of the whole session. */
export const LAG_WINDOW_MS = 5_000
/** One member's lag counts up to this in a lead (a throttled background tab must not stall every command). */
export const LAG_MAX_MS = 500

export class LagMonitor {
  #lastAt: number | null = null
  #samples: { at: number; lag: number }[] = []

  /** An interval tick at `local`, due `intervalMs` after the previous one (app clock ms). */
  tick(local: number, intervalMs: number): void {
    if (this.#lastAt !== null)
      this.#samples.push({ at: local, lag: Math.max(0, local - this.#lastAt - intervalMs) })
    this.#lastAt = local
    this.#forget(local)
  }

  /** The timer stopped on purpose (a hidden tab is throttled): the next tick's gap is not lag. */
  pause(): void {
    this.#lastAt = null
  }

  /** The worst lag of the last `LAG_WINDOW_MS`, ms, at most `LAG_MAX_MS`. */
  recentMs(local: number): number {
    this.#forget(local)
    let worst = 0
    for (const { lag } of this.#samples) worst = Math.max(worst, lag)
    return Math.min(LAG_MAX_MS, worst)
  }

  #forget(local: number): void {
    while (this.#samples.length > 0 && this.#samples[0]!.at < local - LAG_WINDOW_MS) this.#samples.shift()
  }
}
