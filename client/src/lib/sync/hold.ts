/**
 * Buffering holds. Each member decides from its own player whether it is stalled (with hysteresis and a
 * pre-emptive margin) and reports it; every peer then evaluates the same reports with the same pure function,
 * so all agree on whether the room must hold, whom it waits for, and when to release. A hold and a release are
 * timeline commands (`hold`/`release`), idempotent, so it does not matter how many peers issue them.
 */
import { PAUSED_TOLERANCE_MS, READY_TO_PLAY, type PlayerSnapshot } from './decide.ts'
import type { Stamp } from './hlc.ts'

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

/**
 * The torrent behind the player, when it is one: how fast the file arrives against how fast playback eats
 * it. From this a member sees a stall coming while its buffer still looks fine (a peer slower than the
 * video's bitrate), instead of only when less than PREEMPT_HOLD_AHEAD_S is left.
 */
export interface Supply {
  /** Bytes per second arriving now (WebTorrent's moving average). */
  downloadBps: number
  /** The file's bytes per media second (its length over its duration). */
  bytesPerMediaSecond: number
  /** Every byte is here: nothing can starve. */
  complete: boolean
}

/** Hold when the buffer is predicted to run dry within this many wall seconds. */
export const PREDICTED_STALL_S = 2
/** Never ask for more than this much buffered before resuming, however slow the supply. */
export const MAX_RESUME_AHEAD_S = 10

/**
 * The share of consumption the supply does not cover: 1 − download / consumption, at the room's rate. 0 when
 * the supply keeps up, is complete, or is unknown.
 */
function deficit(supply: Supply | null, rate: number): number {
  if (!supply || supply.complete || !(supply.bytesPerMediaSecond > 0)) return 0
  const consumption = supply.bytesPerMediaSecond * rate // bytes per wall second
  return Math.max(0, 1 - supply.downloadBps / consumption)
}

/**
 * Wall seconds until the buffer runs dry at the room's rate, counting what keeps arriving: Infinity when the
 * supply keeps up (or is complete, or unknown).
 */
export function secondsToStall(aheadWallS: number, supply: Supply | null, rate: number): number {
  const short = deficit(supply, rate)
  return short > 0 ? aheadWallS / short : Infinity
}

/**
 * Buffer to resume with: RESUME_AHEAD_S, or, when the supply can't keep up, enough to play to the end
 * without stalling again — ahead · (1 − d/c) ≥ remaining · (1 − d/c) — capped at MAX_RESUME_AHEAD_S.
 */
export function resumeAheadS(supply: Supply | null, rate: number, remainingWallS: number): number {
  const short = deficit(supply, rate)
  if (short === 0) return RESUME_AHEAD_S // (and no Infinity · 0 for a stream of unknown length)
  return Math.min(MAX_RESUME_AHEAD_S, Math.max(RESUME_AHEAD_S, remainingWallS * short))
}

/** Media seconds left to the end; Infinity while the duration is unknown. */
function mediaToEnd(snapshot: PlayerSnapshot): number {
  return Number.isFinite(snapshot.duration) ? Math.max(0, snapshot.duration - snapshot.currentTime) : Infinity
}

/** Media seconds in wall-clock seconds at the room's rate: at 2× they go twice as fast. */
function wallSeconds(mediaSeconds: number, rate: number): number {
  return mediaSeconds / Math.max(rate, 1e-3)
}

/** Buffered-ahead in wall-clock seconds; Infinity when the buffer reaches the end. */
function wallAhead(snapshot: PlayerSnapshot, rate: number): number {
  if (snapshot.bufferedAhead >= mediaToEnd(snapshot) - END_MARGIN_S) return Infinity
  return wallSeconds(snapshot.bufferedAhead, rate)
}

/**
 * This member's readiness after looking at its player at shared instant `now`, and at its torrent's supply
 * when there is one (`supply`): a supply slower than playback makes it hold before the buffer runs dry, and
 * resume only with enough buffered to reach the end (or MAX_RESUME_AHEAD_S).
 */
export function updateReadiness(
  prev: Readiness,
  snapshot: PlayerSnapshot,
  roomRate: number,
  now: number,
  supply: Supply | null = null,
): Readiness {
  const ahead = wallAhead(snapshot, roomRate)
  const canPlay = snapshot.readyState >= READY_TO_PLAY && !snapshot.seeking
  if (prev.stalled) {
    const needed = resumeAheadS(supply, roomRate, wallSeconds(mediaToEnd(snapshot), roomRate))
    return canPlay && ahead >= needed ? { stalled: false, since: now, starvedSince: null } : prev
  }
  const starved =
    !canPlay || ahead < PREEMPT_HOLD_AHEAD_S || secondsToStall(ahead, supply, roomRate) < PREDICTED_STALL_S
  if (!starved) return prev.starvedSince === null ? prev : { ...prev, starvedSince: null }
  const starvedSince = prev.starvedSince ?? now
  if (now - starvedSince >= STALL_GRACE_MS) return { stalled: true, since: now, starvedSince }
  return prev.starvedSince === null ? { ...prev, starvedSince } : prev
}

/**
 * The longest a hold waits for a member that is not stalled to say it stands ready at the held position (a
 * seek's target, or where a buffering hold stopped the room): a member whose seek never gets there, or a
 * modified peer that never says so, does not keep the room paused. The room then resumes without it; its
 * controller seeks it into the moving room as it does a late joiner.
 */
export const HOLD_READY_MAX_MS = 3_000
/** Paused this close to the held position counts as there (the controller seeks a paused element closer). */
const HOLD_READY_TOLERANCE_S = (2 * PAUSED_TOLERANCE_MS) / 1000

/** What names one held segment on every member: the stamp of the command that made it (or its instant). */
export function holdKey(timeline: { stamp?: Stamp | null; at: number }): string {
  const { stamp } = timeline
  return stamp ? `${stamp.wall}.${stamp.counter}.${stamp.peer}` : `@${timeline.at}`
}

/**
 * The held segment this member stands ready to resume from, or null: the newest segment is held and in
 * effect, and the element is paused at its position with data to play (`HAVE_FUTURE_DATA`), not stalled.
 */
export function readyToResume(
  timeline: { held: boolean; at: number; position: number; stamp?: Stamp | null },
  snapshot: PlayerSnapshot,
  now: number,
  stalled: boolean,
): string | null {
  if (!timeline.held || now < timeline.at || stalled) return null
  if (!snapshot.paused || snapshot.seeking || snapshot.readyState < READY_TO_PLAY) return null
  if (Math.abs(snapshot.currentTime - timeline.position) > HOLD_READY_TOLERANCE_S) return null
  return holdKey(timeline)
}

export interface MemberHoldReport {
  stalled: boolean
  /** shared ms when `stalled` last changed */
  since: number
  /** shared ms of the report itself */
  at: number
  /** a member that opted out never holds the room */
  optOut: boolean
  /**
   * The held segment (`holdKey`) the member stands ready to resume from; null: not ready; undefined: it
   * says nothing about holds (it has not joined the room's playback yet), so no hold waits for it.
   */
  readyAt?: string | null | undefined
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
  /** the command that made the newest segment (names the hold, `holdKey`) */
  stamp?: Stamp | null
}

/**
 * Same reports, same `now`, same timeline → same answer on every peer.
 *
 * A hold (a buffering member's, or a seek while the room plays) ends when every member stands ready at the
 * held position (`readyAt`), so all resume together at the release's instant; one that does not get there
 * within HOLD_READY_MAX_MS is not waited for.
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
  const key = holdKey(timeline)
  // Members not yet at the held position are waited for, up to HOLD_READY_MAX_MS into the hold.
  const awaitReady = heldSince !== null && now - heldSince <= HOLD_READY_MAX_MS
  // A release stamped further ahead than any honest clock (a member pushed the room's HLC, up to the day
  // hlc.ts allows) would make every stall stale until then: it marks no stall stale.
  const releasedAt = timeline.releasedAt > now + STALL_DROP_MS ? -Infinity : timeline.releasedAt
  const waitingFor: string[] = []
  const unheard: string[] = []
  const dropped: string[] = []
  const notices: HoldNotice[] = []
  for (const peer of [...members.keys()].sort()) {
    const report = members.get(peer)!
    const wasDropped = state.dropped.includes(peer)
    if (report.optOut) continue
    // Silence counts as a stall from the last word on: a vanished member cannot hold the room forever.
    const stale = report.stalled && report.since < releasedAt
    const stalledSince =
      report.stalled && !stale ? report.since : now - report.at > STALL_DROP_MS ? report.at : null
    if (stalledSince === null) {
      if (wasDropped) notices.push({ type: 'recovered', peer })
      if (heldSince !== null && report.at < heldSince) unheard.push(peer)
      else if (awaitReady && report.readyAt !== undefined && report.readyAt !== key) waitingFor.push(peer)
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
