/**
 * The hold side of the tick: this member's readiness and status report, the other members' reports, the
 * room-wide hold/release decision (hold.ts) and the notices about members dropped from the wait. It sends
 * nothing and issues nothing: `tick()` returns the report that is due, the notices and the decision, for the
 * session to send, say and issue. The reports also make the health panel's rows.
 */
import { READY_TO_PLAY, type PlayerSnapshot } from './decide.ts'
import type { MemberHealth } from './feature.ts'
import {
  evaluateHold,
  INITIAL_HOLD_STATE,
  INITIAL_READINESS,
  readyToResume,
  STALL_DROP_MS,
  updateReadiness,
  type Supply,
  type HoldDecision,
  type HoldState,
  type MemberHoldReport,
  type Readiness,
} from './hold.ts'
import type { StatusReport } from './messages.ts'
import { waitingToStart } from './start.ts'
import { segmentAt, type Timeline } from './timeline.ts'

/** Status reports go out on every readiness change and at least this often. */
export const STATUS_INTERVAL_MS = 250
/** A member within this of the room (with data to play) has joined the room's playback. */
const CAUGHT_UP_MS = 100
/** How long our own seek may go without data before it counts as a stall (see `tick`). */
export const OWN_SEEK_GRACE_MS = 1_500

interface MemberReport extends MemberHoldReport {
  driftMs: number | null
  rttMs: number | null
  bufferedAhead: number
  holding: boolean
  readyFor: string | null
  /** media seconds of the member's player, when known */
  duration: number | null
}

export interface HoldTickInput {
  /** the current item's key (feature.ts), reported as `readyFor` once we have caught up with it */
  item: string
  /** our player now; null without one */
  snapshot: PlayerSnapshot | null
  /** the current item's timeline */
  timeline: Timeline
  shared: number
  /** app clock ms */
  local: number
  driftMs: number | null
  /** our largest round trip to anyone */
  rttMs: number | null
  optOut: boolean
  /** when our own seek started (app ms), while it settles; null otherwise */
  seekingSince: number | null
  /** the torrent behind the player, when known (hold.ts `Supply`) */
  supply?: Supply | null
}

export interface HoldTickOutcome {
  /** our status report, when one is due */
  status: StatusReport | null
  /** for the room's chat, in order */
  notices: string[]
  /** the room is held right now */
  held: boolean
  /** whom the room waits for (member ids, sorted) */
  waitingFor: readonly string[]
  /** a `hold` or `release` command to issue, or nothing */
  decision: HoldDecision
}

export class HoldLoop {
  readonly #selfId: string
  readonly #name: (peerId: string) => string
  readonly #reports = new Map<string, MemberReport>()
  #readiness: Readiness = INITIAL_READINESS
  #caughtUp = false
  #hold: HoldState = INITIAL_HOLD_STATE
  #lastStalled = false
  #lastReadyFor: string | null = null
  #lastReadyAt: string | null | undefined = undefined
  #nextStatusAt = 0
  /** members dropped from the wait whose recovery we have not announced yet */
  readonly #droppedPeers = new Set<string>()
  #waitingFor: readonly string[] = []

  /** `name`: a member's display name, for the notices. */
  constructor(selfId: string, name: (peerId: string) => string) {
    this.#selfId = selfId
    this.#name = name
  }

  /** This member has caught up with the room once for the current item. */
  get caughtUp(): boolean {
    return this.#caughtUp
  }

  /** A new item: joining it again, reported at once. */
  reset(): void {
    this.#readiness = INITIAL_READINESS
    this.#caughtUp = false
    this.#nextStatusAt = 0
  }

  /** Our next tick reports at once (the person changed something the room must know). */
  reportNow(): void {
    this.#nextStatusAt = 0
  }

  /**
   * A member's report, arriving at our shared time `now`. Its times are the member's word, so they are held
   * to what we saw: `at` and `since` never after the arrival, and a stall's start is the earliest we were
   * told while it lasts. A member that keeps reporting a fresh stall start (or one in the future) is still
   * dropped from the wait STALL_DROP_MS after we first heard of the stall.
   */
  onStatus(from: string, status: StatusReport, now: number): void {
    const previous = this.#reports.get(from)
    const at = Math.min(status.at, now)
    const reported = Math.min(status.since, at)
    const since = status.stalled && previous?.stalled ? Math.min(previous.since, reported) : reported
    this.#reports.set(from, {
      stalled: status.stalled,
      since,
      at,
      optOut: status.optOut,
      driftMs: status.driftMs,
      rttMs: status.rttMs,
      bufferedAhead: status.bufferedAhead,
      holding: status.holding,
      readyFor: status.readyFor ?? null,
      duration: status.duration ?? null,
      // A member that has not joined the room's playback yet (no `readyFor`) is not waited for by holds.
      // (any item key counts, the empty one of a room without a playlist too)
      readyAt: typeof status.readyFor === 'string' ? status.readyAt : undefined,
    })
  }

  /** The length of `item` as a member who can play it reports it (for a member without a player); or NaN. */
  reportedDuration(item: string): number {
    for (const [peer, report] of this.#reports)
      if (peer !== this.#selfId && report.readyFor === item && report.duration !== null)
        return report.duration
    return NaN
  }

  /** The present members the first play of `item` still waits for (start.ts). */
  waitingToStart(item: string, members: readonly string[]): string[] {
    return waitingToStart(item, members, this.#selfId, this.#reports)
  }

  forget(peerId: string): void {
    this.#reports.delete(peerId)
  }

  clear(): void {
    this.#reports.clear()
  }

  /**
   * Until it has caught up with the room once for this item, a member is joining, not stalling: it seeks
   * in when its data comes instead of pausing everyone for the torrent's start-up (a late joiner's first
   * seek lands where nothing is downloaded yet, and would hold the whole room). Returns `caughtUp`.
   */
  catchUp(snapshot: PlayerSnapshot | null, driftMs: number | null): boolean {
    if (
      snapshot &&
      snapshot.readyState >= READY_TO_PLAY &&
      !snapshot.seeking &&
      driftMs !== null &&
      Math.abs(driftMs) <= CAUGHT_UP_MS
    )
      this.#caughtUp = true
    return this.#caughtUp
  }

  /** Readiness, our status report, and the room-wide hold/release decision. */
  tick(input: HoldTickInput): HoldTickOutcome {
    const { snapshot, timeline, shared, local } = input
    // Our own seek is not a stall for its first OWN_SEEK_GRACE_MS: on a busy page a seek alone can outlast
    // STALL_GRACE_MS, and holding the room for it would delay convergence by seconds. After that, a seek
    // that still has no data counts (with the usual grace on top).
    const ownSeek = input.seekingSince !== null && local - input.seekingSince < OWN_SEEK_GRACE_MS
    if (!snapshot || !this.#caughtUp) this.#readiness = INITIAL_READINESS
    else if (!ownSeek)
      this.#readiness = updateReadiness(
        this.#readiness,
        snapshot,
        timeline.rate,
        shared,
        input.supply ?? null,
      )
    const stalled = this.#readiness.stalled
    const joined = this.#caughtUp && snapshot !== null
    const readyAt = joined ? readyToResume(timeline, snapshot, shared, stalled) : undefined
    const self: MemberReport = {
      stalled,
      since: this.#readiness.since,
      at: shared,
      optOut: input.optOut,
      driftMs: input.driftMs,
      rttMs: input.rttMs,
      bufferedAhead: snapshot?.bufferedAhead ?? 0,
      holding: this.#holds({ stalled, optOut: input.optOut }, this.#selfId),
      readyFor: joined ? input.item : null,
      readyAt,
      duration: snapshot && Number.isFinite(snapshot.duration) ? snapshot.duration : null,
    }
    this.#reports.set(this.#selfId, self)
    let status: StatusReport | null = null
    // A change of readiness is news for the room at once: a hold, or the start of a new item, waits for it.
    if (
      stalled !== this.#lastStalled ||
      self.readyFor !== this.#lastReadyFor ||
      readyAt !== this.#lastReadyAt ||
      local >= this.#nextStatusAt
    ) {
      this.#lastStalled = stalled
      this.#lastReadyFor = self.readyFor
      this.#lastReadyAt = readyAt
      this.#nextStatusAt = local + STATUS_INTERVAL_MS
      status = {
        type: 'sync/status',
        at: shared,
        position: Math.max(0, snapshot?.currentTime ?? 0),
        bufferedAhead: Math.max(0, self.bufferedAhead),
        stalled,
        since: self.since,
        optOut: self.optOut,
        holding: self.holding,
        driftMs: self.driftMs,
        rttMs: self.rttMs,
        readyFor: self.readyFor,
        duration: self.readyFor === null ? null : self.duration,
        readyAt: readyAt ?? null,
      }
    }
    const evaluation = evaluateHold(this.#reports, timeline, shared, this.#hold)
    this.#hold = evaluation.state
    const notices: string[] = []
    for (const notice of evaluation.notices)
      if (notice.type === 'dropped') this.#dropped(notice.peer, notice.stalledForMs, notices)
    // Whoever drops a member first releases the room; everyone else then sees that member's stall as stale
    // (it predates the release) and gets no `dropped` notice from `evaluateHold`. Still stalled when it stops
    // holding the room: it was dropped.
    for (const peer of this.#waitingFor) {
      const report = this.#reports.get(peer)
      const stalledForMs = report?.stalled ? shared - report.since : 0
      // (a member released for being ready, whose "ready" report we have not had yet, is not dropped)
      if (stalledForMs >= STALL_DROP_MS - 1_000 && !evaluation.waitingFor.includes(peer))
        this.#dropped(peer, stalledForMs, notices)
    }
    this.#waitingFor = evaluation.waitingFor
    this.#announceRecoveries(notices)
    return {
      status,
      notices,
      held: segmentAt(timeline, shared).held,
      waitingFor: evaluation.waitingFor,
      decision: evaluation.decision,
    }
  }

  /** The health panel's rows; `self`: our own drift and largest round trip. */
  health(
    members: readonly { id: string; name: string }[],
    self: { driftMs: number | null; rttMs: number | null },
    rttTo: (peerId: string) => number | null,
  ): MemberHealth[] {
    return members.map((member) => {
      const isSelf = member.id === this.#selfId
      const report = this.#reports.get(member.id)
      return {
        id: member.id,
        name: member.name,
        self: isSelf,
        driftMs: isSelf ? self.driftMs : (report?.driftMs ?? null),
        rttMs: isSelf ? self.rttMs : rttTo(member.id),
        bufferedAhead: report ? report.bufferedAhead : null,
        stalled: report?.stalled ?? false,
        holding: report ? this.#holds(report, member.id) : false,
        optOut: report?.optOut ?? false,
      }
    })
  }

  #dropped(peer: string, stalledForMs: number, notices: string[]): void {
    if (this.#droppedPeers.has(peer)) return
    this.#droppedPeers.add(peer)
    const seconds = Math.round(stalledForMs / 1000)
    notices.push(`${this.#name(peer)} has been buffering for ${seconds} s; the room plays on without them`)
  }

  /**
   * `evaluateHold`'s `recovered` notice comes as soon as the room released without the member (its stall then
   * predates the release and counts as stale), while it may still be stuck. Say it when its reports say so.
   */
  #announceRecoveries(notices: string[]): void {
    for (const peer of this.#droppedPeers) {
      const report = this.#reports.get(peer)
      if (report?.stalled) continue
      this.#droppedPeers.delete(peer)
      if (report) notices.push(`${this.#name(peer)} caught up`)
    }
  }

  /** A member holds the room while it is stalled, unless it opted out or the room dropped it from the wait. */
  #holds(report: { stalled: boolean; optOut: boolean }, peerId: string): boolean {
    return report.stalled && !report.optOut && !this.#hold.dropped.includes(peerId)
  }
}
