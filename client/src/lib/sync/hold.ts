/**
 * Buffering holds. Each member decides from its own player whether it is stalled (with hysteresis and a
 * pre-emptive margin) and reports it; every peer then evaluates the same reports with the same pure function,
 * so all agree on whether the room must hold, whom it waits for, and when to release. A hold and a release are
 * timeline commands (`hold`/`release`), idempotent, so it does not matter how many peers issue them.
 */
import { READY_TO_PLAY, type PlayerSnapshot } from './decide.ts'

/** A member stalled longer than this stops holding the room (it will seek back in when it recovers). */
export const STALL_DROP_MS = 15_000
/** Short stalls (our own correction seeks, a slow frame) should not stop the whole room. */
export const STALL_GRACE_MS = 400
/** Report a stall before the element runs dry: below this many wall seconds buffered, we hold the room. */
export const PREEMPT_HOLD_AHEAD_S = 0.5
/** Ready again only with this much buffered, so the room does not resume into the next stall at once. */
export const RESUME_AHEAD_S = 2
/** Buffered up to the end within this margin counts as fully buffered. */
const END_MARGIN_S = 0.1

export interface Readiness {
  stalled: boolean
  /** shared ms when `stalled` last changed; travels in status reports */
  since: number
  /** shared ms since when the player has looked starved; null while healthy */
  starvedSince: number | null
}

export const INITIAL_READINESS: Readiness = { stalled: false, since: 0, starvedSince: null }

/** Buffered-ahead in wall-clock seconds: at 2× the buffer runs out twice as fast. */
function wallAhead(snapshot: PlayerSnapshot, rate: number): number {
  const toEnd = Number.isFinite(snapshot.duration) ? snapshot.duration - snapshot.currentTime : Infinity
  if (snapshot.bufferedAhead >= toEnd - END_MARGIN_S) return Infinity
  return snapshot.bufferedAhead / Math.max(rate, 1e-3)
}

/** This member's readiness after looking at its player at shared instant `now`. */
export function updateReadiness(
  prev: Readiness,
  snapshot: PlayerSnapshot,
  roomRate: number,
  now: number,
): Readiness {
  const ahead = wallAhead(snapshot, roomRate)
  const canPlay = snapshot.readyState >= READY_TO_PLAY && !snapshot.seeking
  if (prev.stalled) {
    return canPlay && ahead >= RESUME_AHEAD_S ? { stalled: false, since: now, starvedSince: null } : prev
  }
  const starved = !canPlay || ahead < PREEMPT_HOLD_AHEAD_S
  if (!starved) return prev.starvedSince === null ? prev : { ...prev, starvedSince: null }
  const starvedSince = prev.starvedSince ?? now
  if (now - starvedSince >= STALL_GRACE_MS) return { stalled: true, since: now, starvedSince }
  return prev.starvedSince === null ? { ...prev, starvedSince } : prev
}

export interface MemberHoldReport {
  stalled: boolean
  /** shared ms when `stalled` last changed */
  since: number
  /** a member that opted out never holds the room */
  optOut: boolean
}

export interface HoldState {
  /** members dropped from the wait during their current stall */
  dropped: readonly string[]
}

export const INITIAL_HOLD_STATE: HoldState = { dropped: [] }

export type HoldNotice =
  { type: 'dropped'; peer: string; stalledForMs: number } | { type: 'recovered'; peer: string }

export type HoldDecision = 'hold' | 'release' | 'none'

export interface HoldEvaluation {
  /** what the room's timeline should become: issue a `hold`/`release` command, or nothing */
  decision: HoldDecision
  /** members the room is waiting for, sorted */
  waitingFor: string[]
  state: HoldState
  notices: HoldNotice[]
}

/**
 * Same reports, same `now`, same `held` → same answer on every peer. `held` is the room timeline's hold flag
 * at `now`, so a decision is only returned when the timeline disagrees with the reports.
 */
export function evaluateHold(
  members: ReadonlyMap<string, MemberHoldReport>,
  held: boolean,
  now: number,
  state: HoldState,
): HoldEvaluation {
  const waitingFor: string[] = []
  const dropped: string[] = []
  const notices: HoldNotice[] = []
  for (const peer of [...members.keys()].sort()) {
    const report = members.get(peer)!
    const wasDropped = state.dropped.includes(peer)
    if (!report.stalled || report.optOut) {
      if (wasDropped) notices.push({ type: 'recovered', peer })
      continue
    }
    const stalledForMs = now - report.since
    if (stalledForMs <= STALL_DROP_MS) {
      waitingFor.push(peer)
      continue
    }
    dropped.push(peer)
    if (!wasDropped) notices.push({ type: 'dropped', peer, stalledForMs })
  }
  const decision: HoldDecision = waitingFor.length > 0 ? (held ? 'none' : 'hold') : held ? 'release' : 'none'
  return { decision, waitingFor, state: { dropped }, notices }
}
