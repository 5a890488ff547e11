/**
 * The playback store: wires the pure sync engine (docs/sync.md) to the room and to the `<video>`.
 *
 * - a `playback` room feature: clock pings to each member, commands, status reports, and the current
 *   item's log in every newcomer's snapshot;
 * - shared time = the host's clock, measured NTP-style per member (member-clocks.ts);
 * - one timer (`TICK_MS`): pings that are due, the controller (controller-loop.ts: `decide()` → the Player
 *   seam), readiness, status reports and hold/release (hold-loop.ts), and (every `VIEW_INTERVAL_MS`) what the
 *   UI shows;
 * - the person's own actions, from our controls or from the element itself (user-command.ts), become room
 *   commands;
 * - one log per playlist item (item-logs.ts): a new selection starts at 0, paused, on every peer without a
 *   message.
 *
 * `localStorage['theatron:clock-skew-ms']` skews this tab's app clock (a testing aid, docs/sync.md); `inspect()`
 * reads the controller's state for diagnostics (the e2e build exposes it to tests).
 */
import { untrack } from 'svelte'
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import { realTimers, type Timers } from '../timers.ts'
import { createAppClock } from './clock.ts'
import { ControllerLoop, type PlaybackCounters } from './controller-loop.ts'
import type { Action, PlayerSnapshot } from './decide.ts'
import {
  CONTROL_KINDS,
  isEmptyLog,
  parsePlaybackBody,
  parsePlaybackSnapshot,
  PLAYBACK_FEATURE,
  rebaseCommand,
  rebaseLog,
  type MemberHealth,
  type PlaybackSnapshot,
  untouchedByPeople,
} from './feature.ts'
import { HoldLoop } from './hold-loop.ts'
import type { Supply } from './hold.ts'
import { ItemLogs } from './item-logs.ts'
import { MemberClocks } from './member-clocks.ts'
import { perform, type Player, type UserAction } from './player.ts'
import { shouldStart } from './start.ts'
import {
  addCommand,
  clampRate,
  createLog,
  INITIAL_TIMELINE,
  positionAt,
  type Command,
  type CommandBody,
  type Timeline,
} from './timeline.ts'
import { userCommand } from './user-command.ts'

export type { PlaybackCounters } from './controller-loop.ts'
export { STATUS_INTERVAL_MS } from './hold-loop.ts'

/** Controller period: the gains in decide.ts assume at least 20 Hz. */
export const TICK_MS = 50
/** How often the UI's position, health rows and counters are refreshed. */
export const VIEW_INTERVAL_MS = 250
const MAX_NOTICES = 5
/** A change scheduled further ahead than this (the lead is at most 1 s) is left to the ticks. */
const MAX_WAKE_MS = 2_000

/** What the store needs of streaming: the selected item and how its download goes. */
export interface PlaybackSource {
  readonly playlist: {
    readonly selected: { id: string; fileIndex?: number | undefined; addedBy?: string } | null
  }
  /** The played file's download: bytes per second arriving, its length, whether it is all here. */
  supply?(): { downloadBps: number; length: number; complete: boolean } | null
}

export interface PlaybackOptions {
  room: FeatureHost
  source?: PlaybackSource
  /** The app clock (default: `createAppClock()`, which reads the testing skew). */
  now?: () => number
  timers?: Timers
}

/** The controller's state, read for diagnostics and by the e2e build's test hooks. */
export interface PlaybackInspection {
  counters(): PlaybackCounters
  sharedNow(): number | undefined
  timeline(): Timeline
  frame(): string
  driftMs(): number | null
  /** the last person actions seen on the element (that became commands when allowed) */
  userActions(): UserAction[]
  /** the controller's learned state */
  controller(): unknown
}

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
  /** We added the item and its start waits for these members to be ready (display names; start.ts). */
  startingFor = $state.raw<string[]>([])
  /** "Don't hold the room for me". */
  optOut = $state(false)
  /** The browser refused to play without a click (autoplay policy). */
  blocked = $state(false)
  health = $state.raw<MemberHealth[]>([])
  notices = $state.raw<string[]>([])
  counters = $state.raw<PlaybackCounters>({ seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 })

  readonly #room: FeatureHost
  readonly #selfId: string
  readonly #now: () => number
  readonly #timers: Timers
  readonly #handle: FeatureHandle
  readonly #tickTimer: unknown
  // Bookkeeping nothing renders: plain classes on purpose.
  readonly #clocks: MemberClocks
  readonly #loop: ControllerLoop
  readonly #holds: HoldLoop
  readonly #source: PlaybackSource | null
  readonly #logs = new ItemLogs((log) => {
    this.timeline = log.timeline
    this.#wakeAt(log.timeline.at)
  })
  #stopEffects: (() => void) | null = null
  /** Nobody has started the current item yet: we start it when everyone can play it (start.ts). */
  #startPending = false
  /** We added the current item: we also start it after `START_WAIT_MS` without the stragglers. */
  #adder = false
  /** When our own video became ready for the item we added (app ms); null before. */
  #startWaitFrom: number | null = null
  #player: Player | null = null
  #unsubscribePlayer: (() => void) | null = null
  #lastShared: number | undefined = undefined
  /** App clock at `#lastShared`. */
  #lastLocal = 0
  #wakeTimer: unknown = null
  #nextViewAt = 0
  #destroyed = false
  #userActions: UserAction[] = []

  constructor(options: PlaybackOptions) {
    this.#room = options.room
    this.#selfId = options.room.selfId
    this.#now = options.now ?? createAppClock().now
    this.#timers = options.timers ?? realTimers
    this.#clocks = new MemberClocks({
      selfId: this.#selfId,
      now: this.#now,
      send: (message, to) => this.#handle.send(message, to),
    })
    this.#loop = new ControllerLoop(this.#now)
    this.#holds = new HoldLoop(this.#selfId, (peerId) => this.#name(peerId))
    this.#handle = this.#room.registerFeature(PLAYBACK_FEATURE, {
      snapshot: () => this.#snapshot(),
      applySnapshot: (from, raw) => this.#onSnapshot(from, raw),
      onMessage: (from, raw) => this.#onMessage(from, raw),
      onMemberLeft: (peerId) => this.#forget(peerId),
    })
    this.#tickTimer = this.#timers.setInterval(() => this.#tick(), TICK_MS)
    const source = options.source ?? null
    this.#source = source
    if (source) {
      this.#stopEffects = $effect.root(() => {
        $effect(() => {
          const selected = source.playlist.selected
          const key = selected ? `${selected.id}|${selected.fileIndex ?? ''}` : ''
          const mine = selected?.addedBy === this.#selfId
          untrack(() => this.setItem(key, mine))
        })
      })
    }
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
    this.#holds.reportNow() // tell the room at once
  }

  // ── wiring ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The player the store drives (the room's `<video>` through its owner, player/video.ts), or null when it goes.
   * The store only subscribes to it; its owner destroys it.
   */
  attachPlayer(player: Player | null): void {
    if (player === this.#player && player !== null) return
    this.#unsubscribePlayer?.()
    this.#unsubscribePlayer = null
    this.#player = null
    if (this.#destroyed || !player) return
    this.#player = player
    const actions = player.onUserAction((action) => this.#onUserAction(action))
    // A joiner's element that just got its metadata, data to play or a seek's frames is acted on at once:
    // waiting for the next tick costs up to TICK_MS, and far more on a busy main thread.
    const progress = player.onMediaProgress?.(() => this.#tick()) ?? (() => {})
    this.#unsubscribePlayer = () => {
      actions()
      progress()
    }
    this.#loop.reset()
  }

  /**
   * The selected playlist item (and file) changed: its own timeline, from 0, paused. `start`: this member
   * added the item, so it starts it playing (once, when its own video and the other members' are ready, or
   * after `START_WAIT_MS`, and nobody has acted yet): exactly one member does, and with no message about the
   * selection.
   */
  setItem(key: string, start = false): void {
    if (this.#destroyed || key === this.#logs.item) return
    this.#logs.select(key)
    this.#startPending = untouchedByPeople(this.#logs.current)
    this.#adder = start
    this.#startWaitFrom = null
    this.startingFor = []
    this.#loop.reset()
    this.#holds.reset()
    this.#loop.quietUntil(-Infinity)
    this.timeline = this.#logs.current.timeline
  }

  /** Stops the timer, leaves the room feature, lets go of the `<video>`. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#timers.clearInterval(this.#tickTimer)
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer)
    this.#stopEffects?.()
    this.#stopEffects = null
    this.#handle.unregister()
    this.attachPlayer(null)
    this.#clocks.clear()
    this.#holds.clear()
    this.#logs.clear()
  }

  // ── room feature ─────────────────────────────────────────────────────────────────────────────────────

  #snapshot(): PlaybackSnapshot {
    const log = this.#logs.current
    return {
      frame: this.#clocks.frame,
      item: this.#logs.item,
      state: { type: 'sync/state', base: { ...log.base, previous: null }, commands: [...log.commands] },
    }
  }

  #onSnapshot(from: string, raw: unknown): void {
    const parsed = parsePlaybackSnapshot(raw)
    if (!parsed.ok) {
      console.warn(`playback: ignored a snapshot from ${from}: ${parsed.error.code} ${parsed.error.message}`)
      return
    }
    const snapshot = parsed.value
    const { base, commands } = snapshot.state
    const incoming = commands.reduce(addCommand, createLog(base))
    if (isEmptyLog(incoming)) return
    // A newcomer has nothing in any frame yet: it takes the room's frame as it is.
    if (this.#logs.empty) this.#clocks.adoptFrame(snapshot.frame)
    const delta = this.#clocks.deltaFrom(snapshot.frame)
    if (delta === undefined) {
      console.warn(`playback: ignored a snapshot from ${from} in an unmeasured frame`)
      return
    }
    this.#logs.merge(snapshot.item, rebaseLog(incoming, delta), this.#lastShared ?? this.#now())
  }

  #onMessage(from: string, raw: unknown): void {
    const receivedAt = this.#now() // first: the clock samples need the arrival time
    const parsed = parsePlaybackBody(raw)
    if (!parsed.ok) {
      console.warn(`playback: ignored a message from ${from}: ${parsed.error.code} ${parsed.error.message}`)
      return
    }
    const body = parsed.value
    const { message } = body
    switch (message.type) {
      case 'sync/ping':
        return this.#clocks.handlePing(from, message, receivedAt)
      case 'sync/pong':
        return this.#clocks.handlePong(from, message, receivedAt)
      case 'sync/command':
        return this.#onCommand(from, message.command, body.item, body.frame)
      case 'sync/status':
        this.#holds.onStatus(from, message)
        // The start of our new item may have been waiting for this member's "ready": act on it now.
        if (this.#startPending) this.#tick()
        return
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
    this.#logs.receiveStamp(command.stamp, this.#lastShared ?? this.#now())
    let moved = command
    if (frame !== null && frame !== this.#clocks.frame) {
      const delta = this.#clocks.deltaFrom(frame)
      if (delta !== undefined) moved = rebaseCommand(command, delta)
    }
    this.#logs.add(item, moved)
  }

  #forget(peerId: string): void {
    this.#clocks.forget(peerId)
    this.#holds.forget(peerId)
  }

  // ── the loop ─────────────────────────────────────────────────────────────────────────────────────────

  #tick(): void {
    if (this.#destroyed) return
    const local = this.#now()
    const present = this.#room.memberList.map((m) => m.id)
    for (const gone of this.#clocks.reconcile(present, local)) this.#holds.forget(gone)
    this.#clocks.pingDue(local)
    const shared = this.#sharedNow(local)
    this.#lastShared = shared
    this.#lastLocal = local
    const player = this.#player
    const snapshot = player?.snapshot() ?? null
    if (shared !== undefined && player && snapshot) {
      const timeline = this.#logs.current.timeline
      this.#act(player, this.#loop.step(player, snapshot, timeline, shared, this.blocked))
    } else this.#loop.unmeasured()
    if (shared !== undefined) this.#holdTick(snapshot, shared, local)
    this.ready = shared !== undefined && player !== null
    if (local >= this.#nextViewAt) {
      this.#nextViewAt = local + VIEW_INTERVAL_MS
      this.#updateView(snapshot, shared)
    }
  }

  /**
   * A change scheduled ahead (a command's `effectiveAt`) runs the loop at that instant instead of at the next
   * tick, which came up to `TICK_MS` late: every member then starts, pauses or seeks within a timer's jitter
   * of the others, with no rate correction to make up for the late start.
   */
  #wakeAt(at: number): void {
    if (this.#destroyed || this.#lastShared === undefined) return
    const inMs = at - (this.#lastShared + (this.#now() - this.#lastLocal))
    if (!(inMs > 0 && inMs < MAX_WAKE_MS)) return
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer)
    const timers = this.#timers
    const schedule = timers.setUrgentTimeout?.bind(timers) ?? timers.setTimeout.bind(timers)
    this.#wakeTimer = schedule(() => {
      this.#wakeTimer = null
      this.#tick()
      // Woken a hair early on the shared clock (its offset moved since): again for the rest, not a tick later.
      if (this.#lastShared !== undefined && this.#lastShared < at) this.#wakeAt(at)
    }, inMs)
  }

  #act(player: Player, action: Action): void {
    if (action.type === 'none') return
    perform(player, action).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError') this.blocked = true
      // AbortError: a newer load or pause interrupted it; the next tick decides again.
    })
  }

  /** What the torrent delivers against what playback eats (for holding before a stall; hold.ts). */
  #supply(snapshot: PlayerSnapshot | null): Supply | null {
    const file = this.#source?.supply?.() ?? null
    const duration = snapshot?.duration ?? NaN
    if (!file || !Number.isFinite(duration) || duration <= 0 || file.length <= 0) return null
    return {
      downloadBps: file.downloadBps,
      bytesPerMediaSecond: file.length / duration,
      complete: file.complete,
    }
  }

  /** Readiness, status reports, and the room-wide hold/release decision (hold-loop.ts). */
  #holdTick(snapshot: PlayerSnapshot | null, shared: number, local: number): void {
    const timeline = this.#logs.current.timeline
    const caughtUp = this.#holds.catchUp(snapshot, this.#loop.driftMs)
    if (this.#startPending) this.#startWhenReady(caughtUp, local)
    const outcome = this.#holds.tick({
      item: this.#logs.item,
      snapshot,
      timeline,
      shared,
      local,
      driftMs: this.#loop.driftMs,
      rttMs: this.#clocks.maxRtt(),
      optOut: this.optOut,
      seekingSince: this.#loop.settlingSince,
      supply: this.#supply(snapshot),
    })
    if (outcome.status) this.#handle.send(outcome.status)
    for (const text of outcome.notices) this.#say(text)
    this.held = outcome.held
    this.waitingFor = outcome.waitingFor.map((id) => this.#name(id))
    if (outcome.decision !== 'none') this.#issue({ kind: outcome.decision })
  }

  /**
   * Nobody has started the current item: start it once our video and every other member's are ready (start.ts).
   * Whoever completes the set starts it — usually the last member to get ready, at once, instead of telling
   * the adder first and waiting for its play. The adder also starts it after `START_WAIT_MS`. A person's
   * command for the item first (play, pause, seek, speed), or another member's start, ends it; a hold does
   * not (the play then waits for the release, like any play while held).
   */
  #startWhenReady(caughtUp: boolean, local: number): void {
    if (!untouchedByPeople(this.#logs.current)) {
      this.#startPending = false
      this.startingFor = []
      return
    }
    // A member the host's lock keeps from controlling playback would see its play refused by everyone else.
    if (!caughtUp || !this.canControl) return
    const members = this.#room.memberList.map((m) => m.id)
    const waiting = this.#holds.waitingToStart(this.#logs.item, members)
    if (this.#adder) this.#startWaitFrom ??= local
    const waitedMs = this.#startWaitFrom === null ? null : local - this.#startWaitFrom
    if (!shouldStart(waiting, waitedMs)) {
      const names = this.#adder ? waiting.map((id) => this.#name(id)) : []
      if (names.join() !== this.startingFor.join()) this.startingFor = names
      return
    }
    this.#startPending = false
    this.startingFor = []
    this.#issue({ kind: 'play' })
  }

  /** Shared time: the host's clock. When the host changes, every log moves to the new frame first. */
  #sharedNow(local: number): number | undefined {
    const host = this.#room.host ?? this.#selfId
    const { now, rebaseMs } = this.#clocks.sharedNow(local, host, () => !this.#logs.empty)
    if (rebaseMs !== null) {
      this.#logs.rebase(rebaseMs)
      this.#loop.rebase(rebaseMs)
    }
    return now
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
    const maxRttMs = this.#clocks.maxRtt() ?? 0
    const command = this.#logs.issue(body, { peer: this.#selfId, sharedNow: shared, maxRttMs })
    this.#handle.send({ type: 'sync/command', command, item: this.#logs.item, frame: this.#clocks.frame })
    this.#loop.countCommand()
    return command
  }

  /** The person acted on the element itself: native controls, keyboard, or a script. */
  #onUserAction(action: UserAction): void {
    this.#userActions = [...this.#userActions, action].slice(-20)
    // Not allowed (the host locked the controls): no command, so the controller puts the element back.
    if (!this.canControl) return
    if (action.type === 'play') this.blocked = false
    const body = userCommand(action, {
      timeline: this.#logs.current.timeline,
      shared: this.#lastShared,
      maxRttMs: this.#clocks.maxRtt() ?? 0,
      elementPlaying: () => this.#player?.snapshot().paused === false,
    })
    const command = this.#issue(body)
    if (command) this.#loop.quietUntil(command.effectiveAt)
  }

  #unblock(): void {
    if (!this.blocked) return
    this.blocked = false
    // Inside the click's user activation: the browser lets this one through.
    if (this.timeline.playing) this.#player?.play().catch(() => (this.blocked = true))
  }

  // ── what the UI shows ────────────────────────────────────────────────────────────────────────────────

  #updateView(snapshot: PlayerSnapshot | null, shared: number | undefined): void {
    const timeline = this.#logs.current.timeline
    const position =
      snapshot && snapshot.readyState > 0
        ? snapshot.currentTime
        : shared !== undefined
          ? positionAt(timeline, shared)
          : timeline.position
    this.position = position
    this.duration = snapshot?.duration ?? NaN
    this.counters = this.#loop.counters()
    const self = { driftMs: this.#loop.driftMs, rttMs: this.#clocks.maxRtt() }
    this.health = this.#holds.health(this.#room.memberList, self, (id) => this.#clocks.rttTo(id))
  }

  #say(text: string): void {
    this.notices = [...this.notices, text].slice(-MAX_NOTICES)
    this.#room.notice?.(text)
  }

  #name(peerId: string): string {
    return this.#room.memberList.find((m) => m.id === peerId)?.name ?? '?'
  }

  inspect(): PlaybackInspection {
    return {
      counters: () => this.#loop.counters(),
      sharedNow: () => this.#lastShared,
      timeline: () => this.#logs.current.timeline,
      frame: () => this.#clocks.frame,
      driftMs: () => this.#loop.driftMs,
      userActions: () => [...this.#userActions],
      controller: () => ({ ...this.#loop.debug(), caughtUp: this.#holds.caughtUp }),
    }
  }
}
