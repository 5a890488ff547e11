/**
 * The playback store: wires the pure sync engine (docs/sync.md) to the room and to the `<video>`.
 *
 * - a `playback` room feature: clock pings to each member, commands, status reports, and the current
 *   item's log in every newcomer's snapshot;
 * - shared time = the host's clock (see feature.ts, "Frames"), measured NTP-style per member;
 * - one timer (`TICK_MS`): pings that are due, `decide()` → the Player seam, readiness and status reports,
 *   hold/release, and (every `VIEW_INTERVAL_MS`) what the UI shows;
 * - the person's own actions, from our controls or from the element itself, become room commands;
 * - one log per playlist item: a new selection starts at 0, paused, on every peer without a message.
 *
 * Testing aids (docs/sync.md): `localStorage['theatron:clock-skew-ms']` skews this tab's app clock, and
 * `window.__theatron.playback` exposes correction counters and `simulateStall(ms)`.
 */
import { untrack } from 'svelte'
import type { FeatureHandle, RoomFeature } from '../room/room.svelte.ts'
import { realTimers, type Timers } from '../timers.ts'
import { ClockSync, createAppClock, type OffsetEstimate } from './clock.ts'
import {
  decide,
  INITIAL_CONTROLLER_STATE,
  SEEK_REFINE_MS,
  READY_TO_PLAY,
  type Action,
  type ControllerState,
  type PlayerSnapshot,
} from './decide.ts'
import {
  frameDelta,
  isEmptyLog,
  isPlaybackError,
  mergeLogs,
  offsetTo,
  parsePlaybackBody,
  parsePlaybackSnapshot,
  PLAYBACK_FEATURE,
  rebaseCommand,
  rebaseLog,
  type MemberHealth,
  type PlaybackSnapshot,
} from './feature.ts'
import { HLC_ZERO, hlcReceive, type Hlc } from './hlc.ts'
import {
  evaluateHold,
  INITIAL_HOLD_STATE,
  INITIAL_READINESS,
  STALL_DROP_MS,
  updateReadiness,
  type HoldNotice,
  type HoldState,
  type MemberHoldReport,
  type Readiness,
} from './hold.ts'
import type { StatusReport } from './messages.ts'
import { perform, VideoPlayer, type Player, type UserAction } from './player.ts'
import { StallablePlayer } from './stall.ts'
import {
  addCommand,
  clampRate,
  commandLeadMs,
  createLog,
  INITIAL_TIMELINE,
  isMoving,
  issueCommand,
  positionAt,
  segmentAt,
  type Command,
  type CommandBody,
  type PlaybackLog,
  type Timeline,
} from './timeline.ts'

/** Controller period: the gains in decide.ts assume at least 20 Hz. */
export const TICK_MS = 50
/** Status reports go out on every readiness change and at least this often. */
export const STATUS_INTERVAL_MS = 250
/** How often the UI's position, health rows and counters are refreshed. */
export const VIEW_INTERVAL_MS = 250
/** Logs kept for items other than the current one (a command for the next item may beat the selection). */
const ITEM_LOGS = 4
/** A frame change that cannot be measured (the old host left unmeasured) happens unrebased after this. */
const FRAME_SWITCH_TIMEOUT_MS = 5_000
const MAX_NOTICES = 5
/** A member within this of the room (with data to play) has joined the room's playback. */
const CAUGHT_UP_MS = 100
/** Playback counts as resumed after a seek once it is this far past the target... */
const SETTLE_MARGIN_S = 0.02
/** ...or this long after its data was there (a later seek backwards must not keep it "seeking"). */
const SETTLE_TIMEOUT_MS = 1_000
/** A seek that takes longer than this to have data was waiting for the network, not the decoder. */
const SEEK_FETCH_MS = 400
/** How long our own seek may go without data before it counts as a stall (see `#holdTick`). */
const OWN_SEEK_GRACE_MS = 1_500

/** What the store needs of the room (the Room implements it; tests use a fake). */
export interface PlaybackRoom {
  readonly selfId: string
  readonly host: string | null
  readonly memberList: readonly { id: string; name: string }[]
  registerFeature(name: string, feature: RoomFeature): FeatureHandle
  canControlPlayback(peerId?: string): boolean
  /** A local notice in the room's chat, when the room offers one. */
  notice?(text: string): void
}

/** What the store needs of streaming: the `<video>`, its autoplay switch, and the selected item. */
export interface PlaybackSource {
  readonly videoElement: HTMLVideoElement | null
  autoplay: boolean
  readonly playlist: {
    readonly selected: { id: string; fileIndex?: number | undefined; addedBy?: string } | null
  }
}

export interface PlaybackOptions {
  room: PlaybackRoom
  source?: PlaybackSource
  /** The app clock (default: `createAppClock()`, which reads the testing skew). */
  now?: () => number
  timers?: Timers
  /** Expose `window.__theatron.playback` (the app does; unit tests need not). */
  exposeDebug?: boolean
}

export interface PlaybackCounters {
  /** controller seeks, rate changes and play/pause corrections on this tab */
  seeks: number
  rateChanges: number
  plays: number
  pauses: number
  /** commands this tab issued (its person's actions, holds and releases) */
  commands: number
}

/** `window.__theatron.playback`: read by e2e tests and the benchmark. */
export interface PlaybackDebug {
  counters(): PlaybackCounters
  /** Starve this tab's player for `ms` (see stall.ts); false without a player. */
  simulateStall(ms: number): boolean
  sharedNow(): number | undefined
  timeline(): Timeline
  frame(): string
  driftMs(): number | null
  /** the last person actions seen on the element (that became commands when allowed) */
  userActions(): UserAction[]
  /** the controller's learned state, for debugging */
  controller(): unknown
}

interface MemberReport extends MemberHoldReport {
  driftMs: number | null
  rttMs: number | null
  bufferedAhead: number
  holding: boolean
}

interface MemberClock {
  sync: ClockSync
  nextPingAt: number
}

const CONTROL_KINDS: ReadonlySet<Command['kind']> = new Set(['play', 'pause', 'seek', 'rate'])

export class PlaybackStore {
  /** The current item's room timeline (newest segment, possibly scheduled ahead). */
  timeline = $state.raw<Timeline>(INITIAL_TIMELINE)
  /** Shared time is known and a player is attached: the controller runs. */
  ready = $state(false)
  /** Media seconds and duration, refreshed every `VIEW_INTERVAL_MS` for the seek bar. */
  position = $state(0)
  duration = $state(NaN)
  /** The room is held (buffering) right now, and whom it waits for (display names). */
  held = $state(false)
  waitingFor = $state.raw<string[]>([])
  /** "Don't hold the room for me". */
  optOut = $state(false)
  /** The browser refused to play without a click (autoplay policy). */
  blocked = $state(false)
  health = $state.raw<MemberHealth[]>([])
  notices = $state.raw<string[]>([])
  counters = $state.raw<PlaybackCounters>({ seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 })

  readonly #room: PlaybackRoom
  readonly #selfId: string
  readonly #now: () => number
  readonly #timers: Timers
  readonly #handle: FeatureHandle
  readonly #tickTimer: unknown
  #stopEffects: (() => void) | null = null
  #releaseDebug: (() => void) | null = null
  // Bookkeeping nothing renders: plain collections on purpose.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  readonly #clocks = new Map<string, MemberClock>()
  /** Last estimates of members that left: a host that left is the old frame of the next rebase. */
  readonly #departed = new Map<string, OffsetEstimate | undefined>()
  readonly #logs = new Map<string, PlaybackLog>()
  readonly #reports = new Map<string, MemberReport>()
  /* eslint-enable svelte/prefer-svelte-reactivity */
  #frame: string
  #framePendingSince: number | null = null
  #item = ''
  #hlc: Hlc = HLC_ZERO
  #controller: ControllerState = INITIAL_CONTROLLER_STATE
  #readiness: Readiness = INITIAL_READINESS
  #caughtUp = false
  #autoStart = false
  #hold: HoldState = INITIAL_HOLD_STATE
  #player: StallablePlayer | null = null
  #video: HTMLVideoElement | null = null
  #unsubscribePlayer: (() => void) | null = null
  /** After the person acts on the element, the controller waits for the command to take effect (shared ms). */
  #quietUntil = -Infinity
  /** our last seek, until playback runs past its target */
  #catchUp = false
  #settling: { target: number; startedAt: number; until: number; dataBound: boolean } | null = null
  #driftMs: number | null = null
  #lastShared: number | undefined = undefined
  #nextStatusAt = 0
  #lastStalled = false
  #nextViewAt = 0
  #counters: PlaybackCounters = { seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 }
  #destroyed = false
  #userActions: UserAction[] = []
  /** members dropped from the wait whose recovery we have not announced yet */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  readonly #droppedPeers = new Set<string>()
  #waitingFor: readonly string[] = []

  constructor(options: PlaybackOptions) {
    this.#room = options.room
    this.#selfId = options.room.selfId
    this.#frame = this.#selfId
    this.#now = options.now ?? createAppClock().now
    this.#timers = options.timers ?? realTimers
    this.#handle = this.#room.registerFeature(PLAYBACK_FEATURE, {
      snapshot: () => this.#snapshot(),
      applySnapshot: (from, raw) => this.#onSnapshot(from, raw),
      onMessage: (from, raw) => this.#onMessage(from, raw),
      onMemberLeft: (peerId) => this.#forget(peerId),
    })
    this.#tickTimer = this.#timers.setInterval(() => this.#tick(), TICK_MS)
    const source = options.source
    if (source) {
      source.autoplay = false // we decide when to play
      this.#stopEffects = $effect.root(() => {
        $effect(() => {
          const video = source.videoElement
          untrack(() => this.attach(video))
        })
        $effect(() => {
          const selected = source.playlist.selected
          const key = selected ? `${selected.id}|${selected.fileIndex ?? ''}` : ''
          const mine = selected?.addedBy === this.#selfId
          untrack(() => this.setItem(key, mine))
        })
      })
    }
    if (options.exposeDebug) this.#exposeDebug()
  }

  /** Whether this tab may play, pause, seek or change speed (the host may have locked the controls). */
  get canControl(): boolean {
    return this.#room.canControlPlayback()
  }

  /** Whether the room is (or is about to be) playing, as the play toggle shows it. */
  get playing(): boolean {
    return this.timeline.playing
  }

  get rate(): number {
    return this.timeline.rate
  }

  // ── what a person does ───────────────────────────────────────────────────────────────────────────────

  toggle(): void {
    this.#unblock()
    this.#command(this.timeline.playing ? { kind: 'pause' } : { kind: 'play' })
  }

  play(): void {
    this.#unblock()
    this.#command({ kind: 'play' })
  }

  pause(): void {
    this.#command({ kind: 'pause' })
  }

  seek(position: number): void {
    if (Number.isFinite(position)) this.#command({ kind: 'seek', position: Math.max(0, position) })
  }

  setRate(rate: number): void {
    if (Number.isFinite(rate) && rate > 0) this.#command({ kind: 'rate', rate: clampRate(rate) })
  }

  setOptOut(optOut: boolean): void {
    this.optOut = optOut
    this.#nextStatusAt = 0 // tell the room at once
  }

  // ── wiring ───────────────────────────────────────────────────────────────────────────────────────────

  /** The room's `<video>` (null when it goes). The store acts on it only through the Player seam. */
  attach(video: HTMLVideoElement | null): void {
    if (this.#destroyed || video === this.#video) return
    this.#video = video
    this.attachPlayer(video ? new VideoPlayer(video) : null)
  }

  /** A Player directly (tests, or another kind of player). */
  attachPlayer(player: Player | null): void {
    this.#unsubscribePlayer?.()
    this.#unsubscribePlayer = null
    this.#player?.destroy()
    this.#player = null
    if (this.#destroyed || !player) return
    const stallable = new StallablePlayer(player, () => performance.now())
    this.#player = stallable
    this.#unsubscribePlayer = stallable.onUserAction((action) => this.#onUserAction(action))
    this.#resetController()
  }

  /**
   * The selected playlist item (and file) changed: its own timeline, from 0, paused. `start`: this member
   * added the item, so it starts it playing (once, when its own video is ready and nobody has acted yet):
   * exactly one member does, and with no message about the selection.
   */
  setItem(key: string, start = false): void {
    if (this.#destroyed || key === this.#item) return
    this.#item = key
    this.#autoStart = start && isEmptyLog(this.#log)
    this.#resetController()
    this.#readiness = INITIAL_READINESS
    this.#caughtUp = false
    this.#quietUntil = -Infinity
    this.timeline = this.#log.timeline
    this.#nextStatusAt = 0
  }

  /** Stops the timer, leaves the room feature, lets go of the `<video>`. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#timers.clearInterval(this.#tickTimer)
    this.#stopEffects?.()
    this.#stopEffects = null
    this.#handle.unregister()
    this.attachPlayer(null)
    this.#video = null
    this.#releaseDebug?.()
    this.#releaseDebug = null
    this.#clocks.clear()
    this.#departed.clear()
    this.#reports.clear()
    this.#logs.clear()
  }

  // ── room feature ─────────────────────────────────────────────────────────────────────────────────────

  #snapshot(): PlaybackSnapshot {
    const log = this.#log
    return {
      frame: this.#frame,
      item: this.#item,
      state: { type: 'sync/state', base: { ...log.base, previous: null }, commands: [...log.commands] },
    }
  }

  #onSnapshot(from: string, raw: unknown): void {
    const snapshot = parsePlaybackSnapshot(raw)
    if (isPlaybackError(snapshot)) {
      console.warn(`playback: ignored a snapshot from ${from}: ${snapshot.error} ${snapshot.detail}`)
      return
    }
    const { base, commands } = snapshot.state
    const incoming = commands.reduce(addCommand, createLog(base))
    if (isEmptyLog(incoming)) return
    // A newcomer has nothing in any frame yet: it takes the room's frame as it is.
    if ([...this.#logs.values()].every(isEmptyLog)) this.#frame = snapshot.frame
    const delta = frameDelta(this.#selfId, snapshot.frame, this.#frame, this.#estimates())
    if (delta === undefined) {
      console.warn(`playback: ignored a snapshot from ${from} in an unmeasured frame`)
      return
    }
    const moved = rebaseLog(incoming, delta)
    const newest = moved.commands.at(-1)?.stamp ?? moved.base.stamp
    if (newest) this.#hlc = hlcReceive(this.#hlc, newest, this.#lastShared ?? this.#now())
    this.#setLog(snapshot.item, mergeLogs(this.#logFor(snapshot.item), moved.base, moved.commands))
  }

  #onMessage(from: string, raw: unknown): void {
    const receivedAt = this.#now() // first: the clock samples need the arrival time
    const body = parsePlaybackBody(raw)
    if (isPlaybackError(body)) {
      console.warn(`playback: ignored a message from ${from}: ${body.error} ${body.detail}`)
      return
    }
    const { message } = body
    switch (message.type) {
      case 'sync/ping':
        this.#clockFor(from, receivedAt).sync.handlePing(message, receivedAt)
        return
      case 'sync/pong':
        this.#clocks.get(from)?.sync.handlePong(message, receivedAt)
        return
      case 'sync/command':
        return this.#onCommand(from, message.command, body.item, body.frame)
      case 'sync/status':
        return this.#onStatus(from, message)
      case 'sync/state':
        return // joiners get the state in the room snapshot
      default:
        message satisfies never
    }
  }

  #onCommand(from: string, command: Command, item: string, frame: string | null): void {
    // The sender is the channel: a command must be stamped by the member it came from.
    if (command.stamp.peer !== from) {
      console.warn(`playback: ignored a command from ${from} stamped by ${command.stamp.peer}`)
      return
    }
    if (CONTROL_KINDS.has(command.kind) && !this.#room.canControlPlayback(from)) {
      console.warn(`playback: ignored ${command.kind} from ${from}: the host locked the controls`)
      return
    }
    this.#hlc = hlcReceive(this.#hlc, command.stamp, this.#lastShared ?? this.#now())
    let moved = command
    if (frame !== null && frame !== this.#frame) {
      const delta = frameDelta(this.#selfId, frame, this.#frame, this.#estimates())
      if (delta !== undefined) moved = rebaseCommand(command, delta)
    }
    this.#setLog(item, addCommand(this.#logFor(item), moved))
  }

  #onStatus(from: string, status: StatusReport): void {
    this.#reports.set(from, {
      stalled: status.stalled,
      since: status.since,
      at: status.at,
      optOut: status.optOut,
      driftMs: status.driftMs,
      rttMs: status.rttMs,
      bufferedAhead: status.bufferedAhead,
      holding: status.holding,
    })
  }

  #forget(peerId: string): void {
    const clock = this.#clocks.get(peerId)
    if (clock) this.#departed.set(peerId, clock.sync.estimate())
    this.#clocks.delete(peerId)
    this.#reports.delete(peerId)
  }

  // ── the loop ─────────────────────────────────────────────────────────────────────────────────────────

  #tick(): void {
    if (this.#destroyed) return
    const local = this.#now()
    this.#reconcileMembers(local)
    this.#pingDue(local)
    const shared = this.#sharedNow(local)
    this.#lastShared = shared
    const player = this.#player
    const snapshot = player?.snapshot() ?? null
    if (shared !== undefined && player && snapshot) this.#control(player, snapshot, shared)
    else this.#driftMs = null
    if (shared !== undefined) this.#holdTick(snapshot, shared, local)
    this.ready = shared !== undefined && player !== null
    if (local >= this.#nextViewAt) {
      this.#nextViewAt = local + VIEW_INTERVAL_MS
      this.#updateView(snapshot, shared)
    }
  }

  #control(player: Player, snapshot: PlayerSnapshot, shared: number): void {
    // Nothing loaded yet: there is nothing to seek or play.
    if (snapshot.readyState === 0) {
      this.#driftMs = null
      return
    }
    const timeline = this.#log.timeline
    if (shared < this.#quietUntil) {
      // The person just acted on the element: leave it alone until their command takes effect.
      this.#driftMs = snapshot.seeking ? null : (snapshot.currentTime - positionAt(timeline, shared)) * 1000
      return
    }
    const masked = this.#settle(snapshot)
    if (this.#catchUp && !masked.seeking && this.#catchUpSeek(player, masked, timeline, shared)) return
    const decision = decide(timeline, masked, shared, this.#controller)
    this.#controller = decision.state
    this.#driftMs = decision.driftMs
    this.#act(player, decision.action)
  }

  /**
   * After our seek, Chromium reports `currentTime` frozen at the target, not seeking, for a moment before
   * frames flow again. Counting that as drift made the controller learn a seek latency ~250 ms too long and
   * land late joiners that far ahead (measured in e2e). Until playback moves past the target, it is seeking.
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
    if (snapshot.paused) return snapshot
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
   * Returns true when it sought.
   */
  #catchUpSeek(player: Player, snapshot: PlayerSnapshot, timeline: Timeline, shared: number): boolean {
    const segment = segmentAt(timeline, shared)
    if (snapshot.paused || !isMoving(segment)) return false
    this.#catchUp = false
    const target = positionAt(timeline, shared)
    if (Math.abs(snapshot.currentTime - target) * 1000 <= SEEK_REFINE_MS) return false
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
    this.#act(player, { type: 'seek', position })
    return true
  }

  #startSettling(player: Player, target: number, playing: boolean): void {
    const now = this.#now()
    // A seek from pause that stays paused is followed by play() later: its outcome measures play start-up,
    // not seek latency. One that plays with the seek is measured like any seek while playing.
    const uninformative = !playing && player.snapshot().paused
    this.#settling = { target, startedAt: now, until: now + SETTLE_TIMEOUT_MS, dataBound: uninformative }
  }

  #act(player: Player, action: Action): void {
    switch (action.type) {
      case 'none':
        return
      case 'seek':
        this.#counters.seeks++
        if (action.play && this.blocked) return // waiting for a click
        if (action.play) this.#counters.plays++
        this.#startSettling(player, action.position, action.play === true)
        break
      case 'setRate':
        this.#counters.rateChanges++
        break
      case 'play':
        if (this.blocked) return // waiting for a click
        this.#counters.plays++
        break
      case 'pause':
        this.#counters.pauses++
        break
    }
    perform(player, action).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError') this.blocked = true
      // AbortError: a newer load or pause interrupted it; the next tick decides again.
    })
  }

  /** Readiness, status reports, and the room-wide hold/release decision. */
  #holdTick(snapshot: PlayerSnapshot | null, shared: number, local: number): void {
    const timeline = this.#log.timeline
    // Until it has caught up with the room once for this item, a member is joining, not stalling: it seeks
    // in when its data comes instead of pausing everyone for the torrent's start-up (a late joiner's first
    // seek lands where nothing is downloaded yet; in e2e that held the whole room).
    if (
      snapshot &&
      snapshot.readyState >= READY_TO_PLAY &&
      !snapshot.seeking &&
      this.#driftMs !== null &&
      Math.abs(this.#driftMs) <= CAUGHT_UP_MS
    )
      this.#caughtUp = true
    if (this.#autoStart && (!isEmptyLog(this.#log) || this.#caughtUp)) {
      this.#autoStart = false
      if (isEmptyLog(this.#log)) this.#issue({ kind: 'play' })
    }
    // Our own seek is not a stall for its first OWN_SEEK_GRACE_MS: on a busy machine a seek alone can outlast
    // STALL_GRACE_MS, and holding the room for it cost ~2.5 s of convergence in the benchmark. After that,
    // a seek that still has no data counts (with the usual grace on top).
    const ownSeek = this.#settling !== null && local - this.#settling.startedAt < OWN_SEEK_GRACE_MS
    if (!snapshot || !this.#caughtUp) this.#readiness = INITIAL_READINESS
    else if (!ownSeek) this.#readiness = updateReadiness(this.#readiness, snapshot, timeline.rate, shared)
    const stalled = this.#readiness.stalled
    const self: MemberReport = {
      stalled,
      since: this.#readiness.since,
      at: shared,
      optOut: this.optOut,
      driftMs: this.#driftMs,
      rttMs: this.#maxRtt(),
      bufferedAhead: snapshot?.bufferedAhead ?? 0,
      holding: stalled && !this.optOut && !this.#hold.dropped.includes(this.#selfId),
    }
    this.#reports.set(this.#selfId, self)
    if (stalled !== this.#lastStalled || local >= this.#nextStatusAt) {
      this.#lastStalled = stalled
      this.#nextStatusAt = local + STATUS_INTERVAL_MS
      const report: StatusReport = {
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
      }
      this.#handle.send(report)
    }
    const evaluation = evaluateHold(this.#reports, timeline, shared, this.#hold)
    this.#hold = evaluation.state
    for (const notice of evaluation.notices) if (notice.type === 'dropped') this.#dropped(notice)
    // Whoever drops a member first releases the room; everyone else then sees that member's stall as stale
    // (it predates the release) and gets no `dropped` notice from the engine. Still stalled when it stops
    // holding the room: it was dropped.
    for (const peer of this.#waitingFor) {
      const report = this.#reports.get(peer)
      const stalledForMs = report?.stalled ? shared - report.since : 0
      // (a member released for being ready, whose "ready" report we have not had yet, is not dropped)
      if (stalledForMs >= STALL_DROP_MS - 1_000 && !evaluation.waitingFor.includes(peer))
        this.#dropped({ type: 'dropped', peer, stalledForMs })
    }
    this.#waitingFor = evaluation.waitingFor
    this.#announceRecoveries()
    this.held = segmentAt(timeline, shared).held
    this.waitingFor = evaluation.waitingFor.map((id) => this.#name(id))
    if (evaluation.decision !== 'none') this.#issue({ kind: evaluation.decision })
  }

  // ── clocks and frames ────────────────────────────────────────────────────────────────────────────────

  /** A clock per member present (pings need a link; the room's member list says who is there). */
  #reconcileMembers(local: number): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup set
    const present = new Set(this.#room.memberList.map((m) => m.id))
    for (const id of present) if (id !== this.#selfId) this.#clockFor(id, local)
    for (const id of [...this.#clocks.keys()]) if (!present.has(id)) this.#forget(id)
  }

  #clockFor(peerId: string, local: number): MemberClock {
    let clock = this.#clocks.get(peerId)
    if (!clock) {
      const sync = new ClockSync({ now: this.#now, send: (message) => this.#handle.send(message, peerId) })
      clock = { sync, nextPingAt: local }
      this.#clocks.set(peerId, clock)
      this.#departed.delete(peerId)
    }
    return clock
  }

  #pingDue(local: number): void {
    for (const clock of this.#clocks.values()) {
      if (local < clock.nextPingAt) continue
      clock.sync.ping()
      clock.nextPingAt = local + clock.sync.nextPingDelayMs()
    }
  }

  #estimates(): Map<string, OffsetEstimate | undefined> {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup table
    const estimates = new Map(this.#departed)
    for (const [id, clock] of this.#clocks) estimates.set(id, clock.sync.estimate())
    return estimates
  }

  #maxRtt(): number | null {
    let max: number | null = null
    for (const clock of this.#clocks.values()) {
      const rtt = clock.sync.estimate()?.rtt
      if (rtt !== undefined) max = Math.max(max ?? 0, rtt)
    }
    return max
  }

  /** Shared time: the host's clock. When the host changes, every log moves to the new frame first. */
  #sharedNow(local: number): number | undefined {
    const estimates = this.#estimates()
    const host = this.#room.host ?? this.#selfId
    if (host !== this.#frame) this.#switchFrame(host, estimates, local)
    if (host !== this.#frame) return undefined
    const offset = offsetTo(this.#selfId, this.#frame, estimates)
    return offset === undefined ? undefined : local + offset
  }

  #switchFrame(host: string, estimates: Map<string, OffsetEstimate | undefined>, local: number): void {
    if ([...this.#logs.values()].every(isEmptyLog)) {
      this.#frame = host
      return
    }
    const delta = frameDelta(this.#selfId, this.#frame, host, estimates)
    this.#framePendingSince ??= local
    const timedOut = local - this.#framePendingSince > FRAME_SWITCH_TIMEOUT_MS
    if (delta === undefined && !timedOut) return
    // Over a copy: `#setLog` moves each entry to the end, where a live iteration would visit it again, forever.
    for (const [item, log] of [...this.#logs]) this.#setLog(item, rebaseLog(log, delta ?? 0))
    this.#quietUntil += delta ?? 0
    this.#controller = { ...this.#controller, lastSeek: null, pendingSeek: null, idleBaseline: null }
    this.#frame = host
    this.#framePendingSince = null
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────────────────────

  /** A person's change of the room (our controls). */
  #command(body: CommandBody): Command | null {
    if (!this.canControl) return null
    return this.#issue(body)
  }

  #issue(body: CommandBody): Command | null {
    const shared = this.#sharedNow(this.#now())
    if (shared === undefined || this.#destroyed) return null
    const { command, hlc } = issueCommand(body, {
      hlc: this.#hlc,
      peer: this.#selfId,
      sharedNow: shared,
      maxRttMs: this.#maxRtt() ?? 0,
    })
    this.#hlc = hlc
    this.#setLog(this.#item, addCommand(this.#log, command))
    this.#handle.send({ type: 'sync/command', command, item: this.#item, frame: this.#frame })
    this.#counters.commands++
    return command
  }

  /** The person acted on the element itself: native controls, keyboard, or a script. */
  #onUserAction(action: UserAction): void {
    this.#userActions = [...this.#userActions, action].slice(-20)
    // Not allowed (the host locked the controls): no command, so the controller puts the element back.
    if (!this.canControl) return
    const shared = this.#lastShared
    let body: CommandBody
    switch (action.type) {
      case 'play':
        this.blocked = false
        body = { kind: 'play' }
        break
      case 'pause':
        body = { kind: 'pause' }
        break
      case 'seek': {
        // The element plays on from the new position while the command waits for its lead: aim where it
        // will be when the room gets there.
        const timeline = this.#log.timeline
        const moving =
          shared !== undefined &&
          isMoving(segmentAt(timeline, shared)) &&
          this.#player?.snapshot().paused === false
        const lead = moving ? (commandLeadMs(this.#maxRtt() ?? 0) / 1000) * timeline.rate : 0
        body = { kind: 'seek', position: Math.max(0, action.position + lead) }
        break
      }
      case 'ratechange':
        body = { kind: 'rate', rate: clampRate(action.rate) }
        break
      default:
        return action satisfies never
    }
    const command = this.#issue(body)
    if (command) this.#quietUntil = command.effectiveAt
  }

  // ── logs ─────────────────────────────────────────────────────────────────────────────────────────────

  get #log(): PlaybackLog {
    return this.#logFor(this.#item)
  }

  #logFor(item: string): PlaybackLog {
    return this.#logs.get(item) ?? createLog()
  }

  #setLog(item: string, log: PlaybackLog): void {
    this.#logs.delete(item)
    this.#logs.set(item, log) // most recently touched last
    for (const key of this.#logs.keys()) {
      if (this.#logs.size <= ITEM_LOGS + 1) break
      if (key !== this.#item) this.#logs.delete(key)
    }
    if (item === this.#item) this.timeline = log.timeline
  }

  #resetController(): void {
    // What the controller learned about this element's seeks is still true; the rest is per timeline.
    this.#controller = {
      ...INITIAL_CONTROLLER_STATE,
      seekLatencyMs: this.#controller.seekLatencyMs,
      seekSamples: this.#controller.seekSamples,
    }
  }

  #unblock(): void {
    if (!this.blocked) return
    this.blocked = false
    // Inside the click's user activation: the browser lets this one through.
    if (this.timeline.playing) this.#player?.play().catch(() => (this.blocked = true))
  }

  // ── what the UI shows ────────────────────────────────────────────────────────────────────────────────

  #updateView(snapshot: PlayerSnapshot | null, shared: number | undefined): void {
    const timeline = this.#log.timeline
    const position =
      snapshot && snapshot.readyState > 0
        ? snapshot.currentTime
        : shared !== undefined
          ? positionAt(timeline, shared)
          : timeline.position
    this.position = position
    this.duration = snapshot?.duration ?? NaN
    this.counters = { ...this.#counters }
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup set
    const dropped = new Set(this.#hold.dropped)
    this.health = this.#room.memberList.map((member) => {
      const self = member.id === this.#selfId
      const report = this.#reports.get(member.id)
      return {
        id: member.id,
        name: member.name,
        self,
        driftMs: self ? this.#driftMs : (report?.driftMs ?? null),
        rttMs: self ? this.#maxRtt() : (this.#clocks.get(member.id)?.sync.estimate()?.rtt ?? null),
        bufferedAhead: report ? report.bufferedAhead : null,
        stalled: report?.stalled ?? false,
        holding: (report?.stalled ?? false) && !(report?.optOut ?? false) && !dropped.has(member.id),
        optOut: report?.optOut ?? false,
      }
    })
  }

  #dropped(notice: Extract<HoldNotice, { type: 'dropped' }>): void {
    if (this.#droppedPeers.has(notice.peer)) return
    this.#droppedPeers.add(notice.peer)
    const seconds = Math.round(notice.stalledForMs / 1000)
    this.#say(
      `${this.#name(notice.peer)} has been buffering for ${seconds} s; the room plays on without them`,
    )
  }

  /**
   * The engine's `recovered` notice comes as soon as the room released without the member (its stall then
   * predates the release and counts as stale), while it may still be stuck. Say it when its reports say so.
   */
  #announceRecoveries(): void {
    for (const peer of this.#droppedPeers) {
      const report = this.#reports.get(peer)
      if (report?.stalled) continue
      this.#droppedPeers.delete(peer)
      if (report) this.#say(`${this.#name(peer)} caught up`)
    }
  }

  #say(text: string): void {
    this.notices = [...this.notices, text].slice(-MAX_NOTICES)
    this.#room.notice?.(text)
  }

  #name(peerId: string): string {
    return this.#room.memberList.find((m) => m.id === peerId)?.name ?? '?'
  }

  #exposeDebug(): void {
    if (typeof window === 'undefined') return
    const debug: PlaybackDebug = {
      counters: () => ({ ...this.#counters }),
      simulateStall: (ms) => {
        if (!this.#player) return false
        this.#player.stall(ms)
        return true
      },
      sharedNow: () => this.#lastShared,
      timeline: () => this.#log.timeline,
      frame: () => this.#frame,
      driftMs: () => this.#driftMs,
      userActions: () => [...this.#userActions],
      controller: () => ({ ...this.#controller, settling: this.#settling, caughtUp: this.#caughtUp }),
    }
    const scope = window as unknown as { __theatron?: { playback?: PlaybackDebug } }
    scope.__theatron ??= {}
    scope.__theatron.playback = debug
    this.#releaseDebug = () => {
      if (scope.__theatron?.playback === debug) delete scope.__theatron.playback
    }
  }
}
