/**
 * The playback store: the Svelte side of one member's playback in a room. The loop, the clocks, the logs and
 * the room feature are a `PlaybackSession` (session.ts), which writes what it shows into this store's
 * `$state` fields; the store hands it the player (the room's `<video>` through the Player seam) and the
 * selected item.
 *
 * `localStorage['theatron:clock-skew-ms']` skews this tab's app clock (a testing aid, docs/sync.md); `inspect()`
 * reads the controller's state for diagnostics (the e2e build exposes it to tests).
 */
import { untrack } from 'svelte'
import type { FeatureHost } from '../room/feature.ts'
import { realTimers, type Timers } from '../timers.ts'
import { createAppClock } from './clock.ts'
import type { PlaybackCounters } from './controller-loop.ts'
import type { MemberHealth } from './feature.ts'
import type { Player } from './player.ts'
import { PlaybackSession, type PlaybackInspection, type PlaybackView, type SyncTraceStep } from './session.ts'
import { seekTarget } from './seek-target.ts'
import { clampRate, INITIAL_TIMELINE, type Timeline } from './timeline.ts'

export type { PlaybackCounters } from './controller-loop.ts'
export { STATUS_INTERVAL_MS } from './hold-loop.ts'
export { TICK_MS, VIEW_INTERVAL_MS, type PlaybackInspection, type SyncTraceStep } from './session.ts'

/** What the store needs of streaming: the selected item and how its download goes. */
export interface PlaybackSource {
  readonly playlist: {
    readonly selected: {
      id: string
      fileIndex?: number | undefined
      addedBy?: string
      /** 'screen': a member's shared screen, live; it has no timeline to sync. */
      kind?: string | undefined
    } | null
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
  /**
   * A remote control: it never has a player, so it neither holds the room nor is waited for to start an item
   * (it reports that it opted out), and it shows the length other members report.
   */
  remote?: boolean
  /** Each step of a seek or hold on this member (session.ts `SyncTraceStep`): the e2e build marks them. */
  trace?: (step: SyncTraceStep) => void
  /** The first keyframe at or after a time in the playing file, when its index is read (media/target.ts). */
  keyframeAtOrAfter?: (seconds: number) => number | null
}

export class PlaybackStore implements PlaybackView {
  /** The current item's room timeline (newest segment, possibly scheduled ahead). */
  timeline = $state.raw<Timeline>(INITIAL_TIMELINE)
  /** Shared time is known and a player is attached: the controller runs. */
  ready = $state(false)
  /** Shared time is known: commands can go out (a remote control, which has no player, waits for this). */
  timeKnown = $state(false)
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
  /** The room watches a shared screen: live, nothing to play, pause, seek or sync. */
  live = $state(false)
  /** Why the person's last command was refused (a live screen cannot be paused or sought); null: none. */
  refused = $state<string | null>(null)

  /** A remote control (`PlaybackOptions.remote`). */
  readonly remote: boolean
  readonly #selfId: string
  /** The loop, clocks, logs and room feature; it writes what it shows into the fields above. */
  readonly #session: PlaybackSession
  readonly #keyframeAtOrAfter: (seconds: number) => number | null
  #stopEffects: (() => void) | null = null
  #player: Player | null = null
  #unsubscribePlayer: (() => void) | null = null
  #destroyed = false

  constructor(options: PlaybackOptions) {
    this.#selfId = options.room.selfId
    this.remote = options.remote ?? false
    this.#keyframeAtOrAfter = options.keyframeAtOrAfter ?? (() => null)
    const source = options.source ?? null
    this.#session = new PlaybackSession({
      room: options.room,
      view: this,
      now: options.now ?? createAppClock().now,
      timers: options.timers ?? realTimers,
      supply: () => source?.supply?.() ?? null,
      ...(options.trace ? { trace: options.trace } : {}),
    })
    if (this.remote) this.#session.setOptOut(true)
    if (source) {
      this.#stopEffects = $effect.root(() => {
        $effect(() => {
          const selected = source.playlist.selected
          const live = selected?.kind === 'screen'
          // A live screen has no timeline: the session runs as with nothing selected, so it neither holds the
          // room nor waits for anyone to load it.
          const key = selected && !live ? `${selected.id}|${selected.fileIndex ?? ''}` : ''
          const mine = selected?.addedBy === this.#selfId
          untrack(() => {
            this.setLive(live)
            this.setItem(key, mine && !live)
          })
        })
      })
    }
  }

  /** Whether this tab may play, pause, seek or change speed (the host may have locked the controls). */
  get canControl(): boolean {
    return this.#session.canControl
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
    if (this.#refuseLive(this.timeline.playing ? 'paused' : 'played')) return
    this.#session.unblock()
    this.#session.command(this.timeline.playing ? { kind: 'pause' } : { kind: 'play' })
  }

  play(): void {
    if (this.#refuseLive('played')) return
    this.#session.unblock()
    this.#session.command({ kind: 'play' })
  }

  pause(): void {
    if (this.#refuseLive('paused')) return
    this.#session.command({ kind: 'pause' })
  }

  /**
   * Seeks the room to `position`; a seek bar passes how many seconds one of its pixels spans (`within`), and
   * the seek lands on a keyframe that lies there (sync/seek-target.ts).
   */
  seek(position: number, within = 0): void {
    if (this.#refuseLive('sought')) return
    if (!Number.isFinite(position)) return
    const from = Math.max(0, position)
    const to = within > 0 ? seekTarget(from, within, this.#keyframeAtOrAfter(from)) : from
    this.#session.command({ kind: 'seek', position: to })
  }

  setRate(rate: number): void {
    if (this.#refuseLive('sped up or slowed down')) return
    if (Number.isFinite(rate) && rate > 0) this.#session.command({ kind: 'rate', rate: clampRate(rate) })
  }

  setOptOut(optOut: boolean): void {
    if (!this.remote) this.#session.setOptOut(optOut)
  }

  /** While the room watches a live screen, a command is refused with a sentence saying why. */
  #refuseLive(what: string): boolean {
    if (!this.live) return false
    this.refused = `This is a live screen share: it cannot be ${what}.`
    return true
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
    this.#session.attach(null)
    if (this.#destroyed || !player) return
    this.#player = player
    const actions = player.onUserAction((action) => this.#session.userAction(action))
    // A joiner's element that just got its metadata, data to play or a seek's frames is acted on at once:
    // waiting for the next tick costs up to TICK_MS, and far more on a busy main thread.
    const progress = player.onMediaProgress?.(() => this.#session.tick()) ?? (() => {})
    this.#unsubscribePlayer = () => {
      actions()
      progress()
    }
    this.#session.attach(player)
  }

  /** The selected item is (or is no longer) a live screen: commands for it are refused with a sentence. */
  setLive(live: boolean): void {
    this.live = live
    this.refused = null
  }

  /** The selected playlist item (and file) changed; `start`: this member added it (see `PlaybackSession`). */
  setItem(key: string, start = false): void {
    this.#session.setItem(key, start)
  }

  /** The controller's state, for diagnostics. */
  inspect(): PlaybackInspection {
    return this.#session.inspect()
  }

  /** Stops the timer, leaves the room feature, lets go of the player. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#session.destroy()
    this.#stopEffects?.()
    this.#stopEffects = null
    this.attachPlayer(null)
  }
}
