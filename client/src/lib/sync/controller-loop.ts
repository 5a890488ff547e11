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

export interface PlaybackCounters {
  /** controller seeks, rate changes and play/pause corrections on this tab */
  seeks: number
  rateChanges: number
  plays: number
  pauses: number
  /** commands this tab issued (its person's actions, holds and releases) */
  commands: number
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
  /** the room's segment the seek was made for (`Segment.at`) */
  segmentAt: number
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
  readonly #counters: PlaybackCounters = { seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 }

  /** `now`: the app clock (settling is timed on it, not on shared time). */
  constructor(now: () => number) {
    this.#now = now
  }

  /** player − room, ms (positive: ahead); null while it cannot be measured. */
  get driftMs(): number | null {
    return this.#driftMs
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
    const masked = this.#settle(this.#unlessSuperseded(snapshot, timeline, shared))
    if (this.#catchUp && !masked.seeking) {
      const seek = this.#catchUpSeek(masked, timeline, shared)
      if (seek) return this.#admit(player, seek, blocked, segmentAt(timeline, shared).at)
    }
    const decision = decide(timeline, masked, shared, this.#controller)
    this.#controller = decision.state
    this.#driftMs = decision.driftMs
    return this.#admit(player, decision.action, blocked, segmentAt(timeline, shared).at)
  }

  /**
   * A room command that moves the room far from where our seek goes (another member's seek while this
   * element still seeks for a correction, its data not there yet) does not wait for that seek to end: a busy
   * page's seek to where the torrent has nothing can take seconds. The seek is dropped, and the controller
   * sees the element where it is going (mid-seek, `currentTime` is the seek's target) and not seeking, so it
   * seeks again at once; a new seek aborts the old one. Returns the snapshot to decide on.
   */
  #unlessSuperseded(snapshot: PlayerSnapshot, timeline: Timeline, shared: number): PlayerSnapshot {
    const settling = this.#settling
    if (!settling || segmentAt(timeline, shared).at === settling.segmentAt) return snapshot
    const offMs = Math.abs(positionAt(timeline, shared) - settling.target) * 1000
    if (offMs <= SEEK_THRESHOLD_MS) return snapshot
    this.#settling = null
    this.#catchUp = false
    this.#controller = { ...this.#controller, pendingSeek: null }
    return { ...snapshot, seeking: false }
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
  #admit(player: Player, action: Action, blocked: boolean, segmentAt: number): Action {
    const none: Action = { type: 'none' }
    switch (action.type) {
      case 'none':
        return action
      case 'seek':
        this.#counters.seeks++
        if (action.play && blocked) return none // waiting for a click
        if (action.play) this.#counters.plays++
        if (action.pause) this.#counters.pauses++
        this.#startSettling(player, action, segmentAt)
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

  #startSettling(player: Player, seek: Extract<Action, { type: 'seek' }>, segmentAt: number): void {
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
      segmentAt,
    }
  }
}
