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
  /** shared ms of the report itself */
  at: number
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
  /** stalled members the room is waiting for, sorted */
  waitingFor: string[]
  /** members not heard from since the hold began: their last word may predate it, so no release yet */
  unheard: string[]
  state: HoldState
  notices: HoldNotice[]
}

/** What the hold logic needs of the room timeline: its newest segment, scheduled or not. */
export interface HoldTimeline {
  held: boolean
  /** shared ms the newest segment starts at */
  at: number
  /** stamp wall of the last release */
  releasedAt: number
}

/**
 * Same reports, same `now`, same timeline → same answer on every peer.
 *
 * Messages race, so three rules keep peers from undoing each other. The newest segment is used (scheduled
 * or not), so a hold on its way is not issued again every tick. A release needs a report from every member
 * made after the hold began: a peer that got the hold command before the stall report behind it would
 * otherwise see everyone ready and release at once. And a stall that began before the last release is stale:
 * whoever released had heard that member ready since, so it must not re-hold the room.
 */
export function evaluateHold(
  members: ReadonlyMap<string, MemberHoldReport>,
  timeline: HoldTimeline,
  now: number,
  state: HoldState,
): HoldEvaluation {
  const heldSince = timeline.held ? timeline.at : null
  const waitingFor: string[] = []
  const unheard: string[] = []
  const dropped: string[] = []
  const notices: HoldNotice[] = []
  for (const peer of [...members.keys()].sort()) {
    const report = members.get(peer)!
    const wasDropped = state.dropped.includes(peer)
    if (report.optOut) continue
    // Silence counts as a stall from the last word on: a vanished member cannot hold the room forever.
    const stale = report.stalled && report.since < timeline.releasedAt
    const stalledSince =
      report.stalled && !stale ? report.since : now - report.at > STALL_DROP_MS ? report.at : null
    if (stalledSince === null) {
      if (wasDropped) notices.push({ type: 'recovered', peer })
      if (heldSince !== null && report.at < heldSince) unheard.push(peer)
      continue
    }
    const stalledForMs = now - stalledSince
    if (stalledForMs <= STALL_DROP_MS) {
      if (report.stalled && !stale) waitingFor.push(peer)
      else unheard.push(peer)
      continue
    }
    dropped.push(peer)
    if (!wasDropped) notices.push({ type: 'dropped', peer, stalledForMs })
  }
  const decision: HoldDecision =
    waitingFor.length > 0
      ? heldSince === null
        ? 'hold'
        : 'none'
      : heldSince !== null && unheard.length === 0
        ? 'release'
        : 'none'
  return { decision, waitingFor, unheard, state: { dropped }, notices }
}
