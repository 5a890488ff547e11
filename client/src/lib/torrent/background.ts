/**
 * The torrent's background download gives way to the play head. A member streaming a film downloads the rest of
 * it in the background (the file's own selection, priority 0), which on a page that also decodes video is most
 * of its main thread: the wire's messages, piece checks and store writes. While the player waits for bytes at
 * its play head (a seek, a start, a stall), that work delays the very appends and range reads it waits for: on
 * two cores a seek into a 1 GB film that the torrent had not reached waited 10–40 s behind it
 * (docs/streaming.md, "The background download gives way").
 *
 * So while the play head waits, the file's background selection is dropped; what the player reads (WebTorrent's
 * stream selections and critical pieces, the owner's range reads) goes on. It comes back once the player has
 * enough buffered past the play head (`Thresholds`, by how the player is fed), or buffered to the end.
 */
import { bufferedAhead } from '../media/buffered.ts'
import type { PlayheadView } from '../media/target.ts'
import { realTimers, type Timers } from '../timers.ts'
import { trace } from '../trace.ts'

/** When the background gives way (under `wait` seconds buffered past the play head) and comes back (`resume`). */
export interface Thresholds {
  wait: number
  resume: number
}

/**
 * A player this page feeds through MSE (media/mse.ts reads up to 60 s ahead). The background stops with room to
 * spare under 5 s: what it has asked for still arrives (a quarter of a second of the wire's speed,
 * block-runs.ts) and the page works through it before the player's next bytes. It comes back at 15 s, a quarter
 * of the pump's reach: back at once, it would take the page from the reads that brought the player there, and
 * the player would wait again seconds later.
 */
export const MSE_THRESHOLDS: Thresholds = { wait: 5, resume: 15 }
/**
 * A player the browser feeds from the service worker: Chromium reads about 10 s ahead of such an element, so
 * the background comes back well before that.
 */
export const WORKER_THRESHOLDS: Thresholds = { wait: 2, resume: 6 }
/** How often a waiting player's buffer is looked at (nothing fires when an append lands on a paused element). */
export const RECHECK_MS = 250

/** What the play head shows, at one instant. */
export interface PlayheadState {
  /** Seconds buffered past the play head (0: none); while seeking, past the seek's target. */
  ahead: number
  /** Seconds from the play head to the end (Infinity: unknown). */
  left: number
}

export function playheadState(view: PlayheadView): PlayheadState {
  const duration = view.duration
  const left = Number.isFinite(duration) && duration > 0 ? Math.max(0, duration - view.currentTime) : Infinity
  return { ahead: bufferedAhead(view.buffered, view.currentTime), left }
}

/**
 * Whether the background download gives way now, given whether it does already. It gives way while the player
 * has under `thresholds.wait` ahead (a seek: at its target, so a correction inside the buffer changes nothing),
 * and until it has `thresholds.resume` ahead; never once the rest of the file is buffered (within a tenth of a
 * second of its end).
 */
export function shouldYield(
  state: PlayheadState,
  yielding: boolean,
  thresholds: Thresholds = MSE_THRESHOLDS,
): boolean {
  if (state.left - state.ahead < 0.1) return false
  return state.ahead < (yielding ? thresholds.resume : thresholds.wait)
}

/** The background selection of the file being played. */
export interface Background {
  /** The file's pieces are all here: nothing to give way. */
  readonly done: boolean
  select(): void
  deselect(): void
}

/**
 * Keeps `background` in step with `view` (by `thresholds`) until the returned function is called; that call
 * gives the background selection back if it was dropped.
 */
export function yieldToPlayhead(
  view: PlayheadView,
  background: Background,
  thresholds: Thresholds,
  timers: Timers = realTimers,
): () => void {
  let yielding = false
  let recheck: unknown = null
  let stopped = false

  const update = () => {
    if (stopped) return
    if (recheck !== null) {
      timers.clearTimeout(recheck)
      recheck = null
    }
    const next = !background.done && shouldYield(playheadState(view), yielding, thresholds)
    if (next !== yielding) {
      yielding = next
      if (next) background.deselect()
      else background.select()
      trace('torrent:background', { on: !next })
    }
    if (yielding) recheck = timers.setTimeout(update, RECHECK_MS)
  }

  const offs = (['seek', 'seeking', 'waiting', 'timeupdate'] as const).map((event) => view.on(event, update))
  update()
  return () => {
    if (stopped) return
    stopped = true
    for (const off of offs) off()
    if (recheck !== null) timers.clearTimeout(recheck)
    if (yielding && !background.done) background.select()
    yielding = false
  }
}
