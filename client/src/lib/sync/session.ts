/**
 * One member's playback in a room, without Svelte: what the playback store runs and the seeded simulation
 * drives (docs/sync.md).
 *
 * - the `playback` room feature: clock pings to each member, commands, status reports, and the current item's
 *   log in every newcomer's snapshot;
 * - shared time = the host's clock, measured NTP-style per member (member-clocks.ts); when the host changes,
 *   every log moves to the new host's frame;
 * - one timer (`TICK_MS`): pings that are due, the controller (controller-loop.ts: `decide()` → the Player
 *   seam), readiness, status reports and hold/release (hold-loop.ts), the start of a new item (start.ts), and
 *   (every `VIEW_INTERVAL_MS`) what the UI shows; a change scheduled ahead also wakes it at its instant;
 * - the person's actions (the controls, or the element itself: user-command.ts) become room commands;
 * - one log per playlist item (item-logs.ts).
 *
 * It acts on the `Player` it is given (`attach`) and writes what it shows into a `PlaybackView` (the store's
 * `$state` fields). The `<video>` and the selected item are the store's; the testing aids (testing/stall.ts,
 * the clock skew) wrap the player or the clock before they get here.
 */
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import type { Timers } from '../timers.ts'
import { trace } from '../trace.ts'
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
import { commandInstantOutOfBounds, commandOutOfBounds, logOutOfBounds } from './bounds.ts'
import { HoldLoop } from './hold-loop.ts'
import type { Supply } from './hold.ts'
import { ItemLogs } from './item-logs.ts'
import { MemberClocks } from './member-clocks.ts'
import { perform, type Player, type UserAction } from './player.ts'
import { shouldStart } from './start.ts'
import {
  addCommand,
  commandLeadMs,
  createLog,
  INITIAL_TIMELINE,
  positionAt,
  type Command,
  type CommandBody,
  type Timeline,
} from './timeline.ts'
import { userCommand } from './user-command.ts'

/** Controller period: the gains in decide.ts assume at least 20 Hz. */
export const TICK_MS = 50
/** How often the UI's position, health rows and counters are refreshed. */
export const VIEW_INTERVAL_MS = 250
const MAX_NOTICES = 5
/** A change scheduled further ahead than this (the lead is at most 1 s) is left to the ticks. */
const MAX_WAKE_MS = 2_000

/** The controller's state, read for diagnostics and by the e2e build's test hooks (testing/hooks.ts). */
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

/** The played file's download: bytes per second arriving, its length, whether it is all here. */
export interface FileSupply {
  downloadBps: number
  length: number
  complete: boolean
}

/** What the session shows, and the two switches the person sets (`optOut`, and `blocked` cleared by a click). */
export interface PlaybackView {
  /** The current item's room timeline (newest segment, possibly scheduled ahead). */
  timeline: Timeline
  /** Shared time is known and a player is attached: the controller runs. */
  ready: boolean
  /** Shared time is known (the clock to the host is measured): this member's commands can go out. */
  timeKnown: boolean
  /** Media seconds and duration, refreshed every `VIEW_INTERVAL_MS` for the seek bar. */
  position: number
  duration: number
  /** The room is held (buffering) right now, and whom it waits for (display names). */
  held: boolean
  waitingFor: string[]
  /** We added the item and its start waits for these members to be ready (display names; start.ts). */
  startingFor: string[]
  /** "Don't hold the room for me". */
  optOut: boolean
  /** The browser refused to play without a click (autoplay policy). */
  blocked: boolean
  health: MemberHealth[]
  notices: string[]
  counters: PlaybackCounters
}

/** A view as a plain object, with what it shows before the first tick. */
export function createPlaybackView(): PlaybackView {
  return {
    timeline: INITIAL_TIMELINE,
    ready: false,
    timeKnown: false,
    position: 0,
    duration: NaN,
    held: false,
    waitingFor: [],
    startingFor: [],
    optOut: false,
    blocked: false,
    health: [],
    notices: [],
    counters: { seeks: 0, rateChanges: 0, plays: 0, pauses: 0, commands: 0 },
  }
}

export interface PlaybackSessionOptions {
  room: FeatureHost
  /** where the session writes what it shows */
  view: PlaybackView
  /** the app clock */
  now: () => number
  timers: Timers
  /** the played file's download, when known (for holding before a stall; hold.ts) */
  supply?: () => FileSupply | null
  /** Each step of a seek or hold as this member sees it (`SyncTraceStep`); the e2e build marks them. */
  trace?: (step: SyncTraceStep) => void
}

/**
 * The steps of a seek (or any hold) on one member, for the benchmarks' phase trace: the command learned
 * (`command:seek`, issued or received), the element's seek to the held position (`act:hold`), the report that
 * it stands ready there (`ready`), the release learned (`command:release`), and the element's start at the
 * release's instant (`act:play`), a seek that plays (`act:seek-play`) or a correction seek (`act:seek`); and
 * of a new item's start: the report that this member can play it (`ready-for`) and the room's play learned
 * (`command:play`).
 */
export type SyncTraceStep =
  | 'command:seek'
  | 'command:release'
  | 'command:play'
  | 'act:hold'
  | 'ready'
  | 'ready-for'
  | 'act:play'
  | 'act:seek-play'
  | 'act:seek'

export class PlaybackSession {
  readonly #room: FeatureHost
  readonly #view: PlaybackView
  readonly #selfId: string
  readonly #now: () => number
  readonly #timers: Timers
  readonly #fileSupply: () => FileSupply | null
  readonly #trace: (step: SyncTraceStep) => void
  readonly #handle: FeatureHandle
  readonly #tickTimer: unknown
  readonly #clocks: MemberClocks
  readonly #loop: ControllerLoop
  readonly #holds: HoldLoop
  readonly #logs = new ItemLogs((log) => {
    this.#view.timeline = log.timeline
    this.#wakeAt(log.timeline.at)
  })
  /** Nobody has started the current item yet: we start it when everyone can play it (start.ts). */
  #startPending = false
  /** We added the current item: we also start it after `START_WAIT_MS` without the stragglers. */
  #adder = false
  /** When our own video became ready for the item we added (app ms); null before. */
  #startWaitFrom: number | null = null
  #player: Player | null = null
  #lastShared: number | undefined = undefined
  /** App clock at `#lastShared`. */
  #lastLocal = 0
  #wakeTimer: unknown = null
  #nextViewAt = 0
  #destroyed = false
  #userActions: UserAction[] = []
  /** The held segment we last traced ourselves ready at. */
  #tracedReadyAt: string | null = null
  /** The item we last traced ourselves ready to start. */
  #tracedReadyFor: string | null = null

  constructor(options: PlaybackSessionOptions) {
    this.#room = options.room
    this.#view = options.view
    this.#selfId = options.room.selfId
    this.#now = options.now
    this.#timers = options.timers
    this.#fileSupply = options.supply ?? (() => null)
    this.#trace = options.trace ?? (() => {})
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
    this.#tickTimer = this.#timers.setInterval(() => this.tick(), TICK_MS)
  }

  /** Whether this member may play, pause, seek or change speed (the host may have locked the controls). */
  get canControl(): boolean {
    return this.#room.canControlPlayback()
  }

  /** The player to drive (null when it goes). What the controller learned about its seeks is kept. */
  attach(player: Player | null): void {
    this.#player = player
    if (player) this.#loop.reset()
  }

  /** A person's change of the room (our controls); null when not allowed or shared time is unknown. */
  command(body: CommandBody): Command | null {
    if (!this.canControl) return null
    return this.#issue(body)
  }

  setOptOut(optOut: boolean): void {
    this.#view.optOut = optOut
    this.#holds.reportNow() // tell the room at once
  }

  /** A click: the browser lets a play inside it through, so try again now if the room plays. */
  unblock(): void {
    if (!this.#view.blocked) return
    this.#view.blocked = false
    // Inside the click's user activation: the browser lets this one through.
    if (this.#view.timeline.playing) this.#player?.play().catch(() => (this.#view.blocked = true))
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
    this.#view.startingFor = []
    this.#loop.reset()
    this.#holds.reset()
    this.#loop.quietUntil(-Infinity)
    this.#view.timeline = this.#logs.current.timeline
  }

  /** The person acted on the element itself: native controls, keyboard, or a script. */
  userAction(action: UserAction): void {
    this.#userActions = [...this.#userActions, action].slice(-20)
    // Not allowed (the host locked the controls): no command, so the controller puts the element back.
    if (!this.canControl) return
    if (action.type === 'play') this.#view.blocked = false
    const body = userCommand(action)
    const command = this.#issue(body)
    if (command) this.#loop.quietUntil(command.effectiveAt)
  }

  /** Stops the timers and leaves the room feature; the player is the caller's to let go. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#timers.clearInterval(this.#tickTimer)
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer)
    this.#handle.unregister()
    this.#player = null
    this.#clocks.clear()
    this.#holds.clear()
    this.#logs.clear()
  }

  /** The controller's state, for diagnostics. */
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
    // The same rules as for messages: controls under the host's lock, times and stamps within bounds.
    if (!this.#room.canControlPlayback(from)) {
      console.warn(`playback: ignored a snapshot from ${from}: the host locked the controls`)
      return
    }
    const outOfBounds = logOutOfBounds(base, commands, this.#sharedAt(this.#now()))
    if (outOfBounds) {
      console.warn(`playback: ignored a snapshot from ${from}: ${outOfBounds}`)
      return
    }
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
        this.#holds.onStatus(from, message, this.#sharedAt(receivedAt))
        // The start of our new item, or the end of a hold, may have been waiting for this member's "ready":
        // act on it now rather than at the next tick.
        if (this.#startPending || this.#logs.current.timeline.held) this.tick()
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
    const outOfBounds = commandOutOfBounds(command, this.#sharedAt(this.#now()))
    if (outOfBounds) {
      console.warn(`playback: ignored ${command.kind} from ${from}: ${outOfBounds}`)
      return
    }
    this.#logs.receiveStamp(command.stamp, this.#lastShared ?? this.#now())
    let moved = command
    let inOurFrame = frame === null || frame === this.#clocks.frame
    if (!inOurFrame && frame !== null) {
      const delta = this.#clocks.deltaFrom(frame)
      if (delta !== undefined) moved = rebaseCommand(command, delta)
      inOurFrame = delta !== undefined
    }
    // In our frame, an instant far from now is no honest command's: a release an hour ahead would hold the
    // room for that hour, one an hour back would replay the room from then.
    const mistimed = inOurFrame ? commandInstantOutOfBounds(moved, this.#sharedAt(this.#now())) : null
    if (mistimed) {
      console.warn(`playback: ignored ${command.kind} from ${from}: ${mistimed}`)
      return
    }
    this.#logs.add(item, moved)
    this.#traceCommand(command)
    if (inOurFrame && this.#lastShared !== undefined)
      trace('sync:received', {
        kind: command.kind,
        aheadMs: Math.round(moved.effectiveAt - this.#sharedAt(this.#now())),
      })
  }

  #traceCommand(command: Command): void {
    if (command.kind === 'seek' || command.kind === 'release' || command.kind === 'play')
      this.#trace(`command:${command.kind}`)
  }

  /** Shared time at app time `local`, from the last tick's reading; the app clock while shared time is unknown. */
  #sharedAt(local: number): number {
    return this.#lastShared === undefined ? local : this.#lastShared + (local - this.#lastLocal)
  }

  #forget(peerId: string): void {
    this.#clocks.forget(peerId)
    this.#holds.forget(peerId)
  }

  // ── the loop ─────────────────────────────────────────────────────────────────────────────────────────

  /** One pass of the loop: the timer's, a wake-up's, or at once when the player can do more than before. */
  tick(): void {
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
      this.#act(player, this.#loop.step(player, snapshot, timeline, shared, this.#view.blocked))
    } else this.#loop.unmeasured()
    if (shared !== undefined) this.#holdTick(snapshot, shared, local)
    this.#view.ready = shared !== undefined && player !== null
    this.#view.timeKnown = shared !== undefined
    if (local >= this.#nextViewAt) {
      this.#nextViewAt = local + VIEW_INTERVAL_MS
      this.#updateView(snapshot, shared)
    }
  }

  /**
   * A change scheduled ahead (a command's `effectiveAt`) runs the loop at that instant instead of at the next
   * tick, which can come up to `TICK_MS` late: every member then starts, pauses or seeks within a timer's jitter
   * of the others, with no rate correction to make up for the late start. A change already in effect (a seek,
   * which has no lead, or a command that arrived late) runs it at once.
   */
  #wakeAt(at: number): void {
    if (this.#destroyed || this.#lastShared === undefined) return
    const inMs = Math.max(0, at - (this.#lastShared + (this.#now() - this.#lastLocal)))
    if (!(inMs < MAX_WAKE_MS)) return
    if (this.#wakeTimer !== null) this.#timers.clearTimeout(this.#wakeTimer)
    const timers = this.#timers
    const schedule = timers.setUrgentTimeout?.bind(timers) ?? timers.setTimeout.bind(timers)
    this.#wakeTimer = schedule(() => {
      this.#wakeTimer = null
      this.tick()
      // Woken a hair early on the shared clock (its offset moved since): again for the rest, not a tick later.
      if (this.#lastShared !== undefined && this.#lastShared < at) this.#wakeAt(at)
    }, inMs)
  }

  #act(player: Player, action: Action): void {
    if (action.type === 'none') return
    if (action.type === 'play') this.#trace('act:play')
    else if (action.type === 'seek')
      this.#trace(action.pause ? 'act:hold' : action.play ? 'act:seek-play' : 'act:seek')
    perform(player, action).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError') this.#view.blocked = true
      // AbortError: a newer load or pause interrupted it; the next tick decides again.
    })
  }

  /** What the torrent delivers against what playback eats (for holding before a stall; hold.ts). */
  #supply(snapshot: PlayerSnapshot | null): Supply | null {
    const file = this.#fileSupply()
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
      optOut: this.#view.optOut,
      seekingSince: this.#loop.settlingSince,
      supply: this.#supply(snapshot),
    })
    if (outcome.status) {
      this.#handle.send(outcome.status)
      if (outcome.status.readyAt && outcome.status.readyAt !== this.#tracedReadyAt) this.#trace('ready')
      if (outcome.status.readyFor && outcome.status.readyFor !== this.#tracedReadyFor)
        this.#trace('ready-for')
      this.#tracedReadyFor = outcome.status.readyFor ?? null
      this.#tracedReadyAt = outcome.status.readyAt ?? null
    }
    for (const text of outcome.notices) this.#say(text)
    this.#view.held = outcome.held
    this.#view.waitingFor = outcome.waitingFor.map((id) => this.#name(id))
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
      this.#view.startingFor = []
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
      if (names.join() !== this.#view.startingFor.join()) this.#view.startingFor = names
      return
    }
    this.#startPending = false
    this.#view.startingFor = []
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

  #issue(body: CommandBody): Command | null {
    const shared = this.#sharedNow(this.#now())
    if (shared === undefined || this.#destroyed) return null
    const maxRttMs = this.#clocks.maxRtt() ?? 0
    // A pause names where the room stops (our fold at its instant): every member seeks there exactly, even
    // one whose fold differs by a host change's few ms.
    const stop =
      body.kind === 'pause' && body.position === undefined
        ? { ...body, position: positionAt(this.#logs.current.timeline, shared + commandLeadMs(maxRttMs)) }
        : body
    const command = this.#logs.issue(stop, { peer: this.#selfId, sharedNow: shared, maxRttMs })
    this.#handle.send({ type: 'sync/command', command, item: this.#logs.item, frame: this.#clocks.frame })
    this.#loop.countCommand()
    this.#traceCommand(command)
    trace('sync:issued', {
      kind: command.kind,
      leadMs: Math.round(command.effectiveAt - shared),
      maxRttMs: Math.round(maxRttMs),
    })
    return command
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
    const view = this.#view
    view.position = position
    // Without a player (a remote control), the length a member who plays the item reports.
    view.duration = snapshot ? snapshot.duration : this.#holds.reportedDuration(this.#logs.item)
    view.counters = this.#loop.counters()
    const self = { driftMs: this.#loop.driftMs, rttMs: this.#clocks.maxRtt() }
    view.health = this.#holds.health(this.#room.memberList, self, (id) => this.#clocks.rttTo(id))
  }

  #say(text: string): void {
    this.#view.notices = [...this.#view.notices, text].slice(-MAX_NOTICES)
    this.#room.notice?.(text)
  }

  #name(peerId: string): string {
    return this.#room.memberList.find((m) => m.id === peerId)?.name ?? '?'
  }
}
