/**
 * The controller side of the tick: `decide()` around the seeks it cannot see through. It keeps what the
 * controller learned, our own seek until playback runs past its target (`settling`), the catch-up seek after
 * one that had to wait for data, the quiet stretch after the person acted on the element, and the counters.
 * It reads the player but never acts on it: `step()` returns the action for the session to perform.
 */
import {
  decide,
  INITIAL_CONTROLLER_STATE,
  READY_TO_PLAY,
  SEEK_REFINE_MS,
  SEEK_THRESHOLD_MS,
  type Action,
  type ControllerState,
  type PlayerSnapshot,
} from './decide.ts'
import type { Player } from './player.ts'
import { isMoving, positionAt, segmentAt, type Timeline } from './timeline.ts'

/** Playback counts as resumed after a seek once it is this far past the target... */
export const SETTLE_MARGIN_S = 0.02
/** ...or this long after its data was there (a later seek backwards must not keep it "seeking"). */
const SETTLE_TIMEOUT_MS = 1_000
/** A seek that takes longer than this to have data was waiting for the network, not the decoder. */
export const SEEK_FETCH_MS = 400
/**
 * A member whose element has not played yet joining a moving room (a late joiner) lands this far ahead of the
 * room, paused, and starts playing when the room gets there (`#preroll`): about what fetching the data at a
 * new position takes a newcomer whose torrent has just started. Too short costs another try, twice as far
 * ahead; too long, a still frame that long.
 */
export const PREROLL_LEAD_S = 1
/** Tries at landing ahead before the controller's ordinary seek and chase take over. */
export const PREROLL_TRIES = 3
/** After the preroll's `play()`, this long for the element to report that it plays. */
const PREROLL_PLAY_GRACE_MS = 500

export interface PlaybackCounters {
  /** controller seeks, rate changes and play/pause corrections on this tab */
  seeks: number
  rateChanges: number
  plays: number
  pauses: number
  /** commands this tab issued (its person's actions, holds and releases) */
  commands: number
}

/** A preroll (`#preroll`) for one segment of the room's timeline. */
interface Preroll {
  segmentAt: number
  tries: number
  /** app ms of its `play()`, once it started */
  playedAt: number | null
  /** it played, or gave up: the ordinary controller acts for the rest of the segment */
  done: boolean
}

/** Our last seek (app clock ms), until playback runs past its target. */
interface Settling {
  target: number
  startedAt: number
  until: number
  /** it waited for data: its outcome says nothing about seek latency */
  dataBound: boolean
  /** the element stays paused where it lands (a hold's seek, a paused room): settled once it is there */
  still: boolean
}

export class ControllerLoop {
  readonly #now: () => number
  #controller: ControllerState = INITIAL_CONTROLLER_STATE
  #settling: Settling | null = null
  /** our last seek waited for data: the next miss is sought again at once */
  #catchUp = false
  /** After the person acts on the element, the controller waits for the command to take effect (shared ms). */
  #quietUntil = -Infinity
  #driftMs: number | null = null
  #preroll: Preroll | null = null
  /** The element played since it was attached or the item changed: it is no newcomer to preroll. */
  #played = false
  #wakeAt: number | null = null
  readonly #counters: PlaybackCounters = { seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 }

  /** `now`: the app clock (settling is timed on it, not on shared time). */
  constructor(now: () => number) {
    this.#now = now
  }

  /** player − room, ms (positive: ahead); null while it cannot be measured. */
  get driftMs(): number | null {
    return this.#driftMs
  }

  /**
   * The shared instant at which the last `step` wants the next one (a preroll's start), or null: a tick can
   * come up to `TICK_MS` late, which a start from still would keep as drift.
   */
  get wakeAt(): number | null {
    return this.#wakeAt
  }

  /** When our own seek started (app ms), while it settles; null otherwise. */
  get settlingSince(): number | null {
    return this.#settling?.startedAt ?? null
  }

  counters(): PlaybackCounters {
    return { ...this.#counters }
  }

  countCommand(): void {
    this.#counters.commands++
  }

  /** The controller's learned state, for debugging. */
  debug(): ControllerState & { settling: Settling | null } {
    return { ...this.#controller, settling: this.#settling }
  }

  /** A new timeline or element. What the controller learned about this element's seeks is still true. */
  reset(): void {
    this.#controller = {
      ...INITIAL_CONTROLLER_STATE,
      seekLatencyMs: this.#controller.seekLatencyMs,
      seekSamples: this.#controller.seekSamples,
    }
    this.#preroll = null
    this.#played = false
  }

  /** Leave the element alone until shared time `at` (the person's command takes effect then). */
  quietUntil(at: number): void {
    this.#quietUntil = at
  }

  /** The frame moved by `deltaMs`: our shared times move with it, and seeks timed in the old one are dropped. */
  rebase(deltaMs: number): void {
    this.#quietUntil += deltaMs
    this.#controller = { ...this.#controller, lastSeek: null, pendingSeek: null, idleBaseline: null }
  }

  /** No shared time or no player this tick: nothing to measure. */
  unmeasured(): void {
    this.#driftMs = null
  }

  /**
   * One tick with a player and shared time: the action to perform now (`none` also while waiting for a
   * click: `blocked`, the browser refused to play without one).
   */
  step(
    player: Player,
    snapshot: PlayerSnapshot,
    timeline: Timeline,
    shared: number,
    blocked: boolean,
  ): Action {
    this.#wakeAt = null
    // Nothing loaded yet: there is nothing to seek or play.
    if (snapshot.readyState === 0) {
      this.#driftMs = null
      return { type: 'none' }
    }
    if (shared < this.#quietUntil) {
      // The person just acted on the element: leave it alone until their command takes effect.
      this.#driftMs = snapshot.seeking ? null : (snapshot.currentTime - positionAt(timeline, shared)) * 1000
      return { type: 'none' }
    }
    if (!snapshot.paused) this.#played = true
    const masked = this.#settle(snapshot)
    const preroll = this.#prerollStep(masked, timeline, shared)
    if (preroll) return this.#admit(player, preroll, blocked)
    if (this.#catchUp && !masked.seeking) {
      const seek = this.#catchUpSeek(masked, timeline, shared)
      if (seek) return this.#admit(player, seek, blocked)
    }
    const decision = decide(timeline, masked, shared, this.#controller)
    this.#controller = decision.state
    this.#driftMs = decision.driftMs
    return this.#admit(player, decision.action, blocked)
  }

  /**
   * After our seek, Chromium reports `currentTime` frozen at the target, not seeking, for a moment before
   * frames flow again. Counted as drift, that moment would teach the controller a seek latency too long by
   * as much and land late joiners that far ahead. Until playback moves past the target, it is seeking.
   *
   * A seek that had to wait for data (a joiner's first seek lands where the torrent has nothing yet) says
   * nothing about the next seek's latency: its observation is dropped, and the cooldown with it, so the
   * controller seeks again at once with what it knew, now that the data is there.
   */
  #settle(snapshot: PlayerSnapshot): PlayerSnapshot {
    const settling = this.#settling
    if (!settling) return snapshot
    const now = this.#now()
    if (snapshot.seeking || snapshot.readyState < READY_TO_PLAY) {
      if (now - settling.startedAt > SEEK_FETCH_MS) settling.dataBound = true
      settling.until = now + SETTLE_TIMEOUT_MS
      return { ...snapshot, seeking: true }
    }
    if (snapshot.paused) {
      // Landed where the room stands still: nothing to learn from it, and no catch-up seek after it. The
      // offset at the resume is the start's, caught up with the rate (decide.ts, the resume chase).
      if (settling.still) this.#settling = null
      return snapshot
    }
    if (snapshot.currentTime <= settling.target + SETTLE_MARGIN_S && now < settling.until) {
      return { ...snapshot, seeking: true }
    }
    this.#settling = null
    if (settling.dataBound) {
      this.#controller = { ...this.#controller, pendingSeek: null, lastSeek: null }
      this.#catchUp = true
    }
    return snapshot
  }

  /**
   * A paused member far from a moving room (a late joiner, whose data at the room's position is still to be
   * fetched): instead of seeking there and playing from wherever the data lets it start, then catching up
   * with a second seek and the rate for seconds, it lands `PREROLL_LEAD_S` ahead, paused, lets the data
   * come, and plays at the instant the room reaches its frame (`wakeAt`), as the room itself starts from a
   * hold. The room passing it by more than `SEEK_THRESHOLD_MS` first (the data took longer) is another try
   * from where the room is then, twice as far ahead; by less (a late tick), it plays at once; after `PREROLL_TRIES`, or once it plays, the ordinary controller acts. A member that played
   * already (a hold's resume it was late for) is left to the controller: it has its data where the room is. Returns the action, or null when the
   * preroll has nothing to do.
   */
  #prerollStep(snapshot: PlayerSnapshot, timeline: Timeline, shared: number): Action | null {
    const none: Action = { type: 'none' }
    const segment = segmentAt(timeline, shared)
    if (!isMoving(segment)) {
      this.#preroll = null
      return null
    }
    let preroll = this.#preroll?.segmentAt === segment.at ? this.#preroll : null
    if (preroll?.done || (!preroll && this.#played)) return null
    if (preroll?.playedAt != null) {
      // Started: the element reports playing soon; until then, it is not a paused member to seek again.
      if (!snapshot.paused || this.#now() - preroll.playedAt > PREROLL_PLAY_GRACE_MS) preroll.done = true
      return preroll.done ? null : none
    }
    if (snapshot.seeking) return preroll ? none : null
    const target = positionAt(timeline, shared)
    const driftMs = (snapshot.currentTime - target) * 1000
    // Not in the room's playback yet: no drift to report (a hold must not take it for a member that stalled).
    this.#driftMs = null
    const ahead = () => {
      const leadS = PREROLL_LEAD_S * 2 ** preroll!.tries++
      this.#controller = { ...this.#controller, correcting: false, idleBaseline: null }
      return { type: 'seek', position: target + leadS * segment.rate } satisfies Action
    }
    if (!preroll) {
      if (!snapshot.paused || Math.abs(driftMs) <= SEEK_THRESHOLD_MS) {
        this.#driftMs = driftMs
        return null
      }
      preroll = this.#preroll = { segmentAt: segment.at, tries: 0, playedAt: null, done: false }
      return ahead()
    }
    if (!snapshot.paused) {
      preroll.done = true
      return null
    }
    if (snapshot.readyState < READY_TO_PLAY) return none
    // The room passed its frame by more than a rate chase makes up quickly (the data came late): again.
    if (driftMs < -SEEK_THRESHOLD_MS) {
      if (preroll.tries < PREROLL_TRIES) return ahead()
      preroll.done = true
      return null
    }
    // Ahead: wait for the room. Passed by a little (a late tick on a busy page): play now, and chase.
    const waitMs = driftMs / segment.rate
    if (waitMs > 0) {
      this.#wakeAt = shared + waitMs
      return none
    }
    preroll.playedAt = this.#now()
    this.#controller = { ...this.#controller, startedAt: shared }
    return { type: 'play' }
  }

  /**
   * Right after an uninformative seek (see `#settle`), a miss above `SEEK_REFINE_MS` is sought again at once,
   * as the controller does after an informative one, and this seek's outcome teaches it the latency.
   * Returns the seek, or null when there is none to make.
   */
  #catchUpSeek(snapshot: PlayerSnapshot, timeline: Timeline, shared: number): Action | null {
    const segment = segmentAt(timeline, shared)
    if (snapshot.paused || !isMoving(segment)) return null
    this.#catchUp = false
    const target = positionAt(timeline, shared)
    if (Math.abs(snapshot.currentTime - target) * 1000 <= SEEK_REFINE_MS) return null
    const latencyUsedMs = this.#controller.seekLatencyMs
    const position = target + (latencyUsedMs / 1000) * segment.rate
    this.#controller = {
      ...this.#controller,
      correcting: false,
      idleBaseline: null,
      lastSeek: { at: shared, segmentAt: segment.at },
      pendingSeek: { latencyUsedMs, segmentAt: segment.at, refined: false },
      seeks: this.#controller.seeks + 1,
    }
    return { type: 'seek', position }
  }

  /** Counts the action and starts settling a seek; `none` for what must wait for a click. */
  #admit(player: Player, action: Action, blocked: boolean): Action {
    const none: Action = { type: 'none' }
    switch (action.type) {
      case 'none':
        return action
      case 'seek':
        this.#counters.seeks++
        if (action.play && blocked) return none // waiting for a click
        if (action.play) this.#counters.plays++
        if (action.pause) this.#counters.pauses++
        this.#startSettling(player, action)
        return action
      case 'setRate':
        this.#counters.rateChanges++
        return action
      case 'play':
        if (blocked) return none // waiting for a click
        this.#counters.plays++
        return action
      case 'pause':
        this.#counters.pauses++
        return action
    }
  }

  #startSettling(player: Player, seek: Extract<Action, { type: 'seek' }>): void {
    const now = this.#now()
    // A seek from pause (with play or without) measures play start-up and, for a joiner, fetching data where
    // nothing is downloaded yet, not seek latency: learning from it would teach joiners a latency several
    // times too long and land their next seek hundreds of ms ahead.
    const paused = seek.pause === true || player.snapshot().paused
    this.#settling = {
      target: seek.position,
      startedAt: now,
      until: now + SETTLE_TIMEOUT_MS,
      dataBound: paused,
      still: paused && seek.play !== true,
    }
  }
}
