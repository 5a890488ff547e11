/**
 * Member clocks and the shared-time frame. One `ClockSync` per member present measures its clock NTP-style
 * (pings need a link; the room's member list says who is there). Shared time is the host's clock (see
 * feature.ts, "Frames"): when the host changes, every time held moves to the new host's frame first, by the
 * difference of the two clocks as we measured them (a host that left is measured by its last estimate).
 * Owns no timer and no state the UI renders: the session drives it from its tick.
 */
import { ClockSync, type ClockPing, type ClockPong, type OffsetEstimate } from './clock.ts'
import { frameDelta, offsetTo } from './feature.ts'

/** A frame change that cannot be measured (the old host left unmeasured) happens unrebased after this. */
export const FRAME_SWITCH_TIMEOUT_MS = 5_000

export interface MemberClocksOptions {
  selfId: string
  /** the app clock */
  now: () => number
  send: (message: ClockPing | ClockPong, to: string) => void
}

/** Shared time at one moment, and whether the frame just changed. */
export interface SharedTime {
  /** the host's clock; undefined until it is measured, or while a frame change waits for its measurement */
  now: number | undefined
  /** the frame just changed: every shared time held must move by this (ms; 0 when it timed out unmeasured) */
  rebaseMs: number | null
}

interface MemberClock {
  sync: ClockSync
  nextPingAt: number
}

export class MemberClocks {
  readonly #selfId: string
  readonly #now: () => number
  readonly #send: (message: ClockPing | ClockPong, to: string) => void
  readonly #clocks = new Map<string, MemberClock>()
  /** Last estimates of members that left: a host that left is the old frame of the next rebase. */
  readonly #departed = new Map<string, OffsetEstimate | undefined>()
  #frame: string
  #framePendingSince: number | null = null

  constructor(options: MemberClocksOptions) {
    this.#selfId = options.selfId
    this.#now = options.now
    this.#send = options.send
    this.#frame = options.selfId
  }

  /** The member whose clock shared times are in. */
  get frame(): string {
    return this.#frame
  }

  /** A newcomer has nothing in any frame yet: it takes the room's frame as it is. */
  adoptFrame(frame: string): void {
    this.#frame = frame
  }

  /** A clock per member present; returns the members that are gone (forgotten here). */
  reconcile(present: readonly string[], local: number): string[] {
    const here = new Set(present)
    for (const id of here) if (id !== this.#selfId) this.#clockFor(id, local)
    const gone = [...this.#clocks.keys()].filter((id) => !here.has(id))
    for (const id of gone) this.forget(id)
    return gone
  }

  forget(peerId: string): void {
    const clock = this.#clocks.get(peerId)
    if (clock) this.#departed.set(peerId, clock.sync.estimate())
    this.#clocks.delete(peerId)
  }

  handlePing(from: string, ping: ClockPing, receivedAt: number): void {
    this.#clockFor(from, receivedAt).sync.handlePing(ping, receivedAt)
  }

  handlePong(from: string, pong: ClockPong, receivedAt: number): void {
    this.#clocks.get(from)?.sync.handlePong(pong, receivedAt)
  }

  /** Sends the pings that are due. */
  pingDue(local: number): void {
    for (const clock of this.#clocks.values()) {
      if (local < clock.nextPingAt) continue
      clock.sync.ping()
      clock.nextPingAt = local + clock.sync.nextPingDelayMs()
    }
  }

  /** The largest round trip to any member, ms; null before any is measured. */
  maxRtt(): number | null {
    let max: number | null = null
    for (const clock of this.#clocks.values()) {
      const rtt = clock.sync.estimate()?.rtt
      if (rtt !== undefined) max = Math.max(max ?? 0, rtt)
    }
    return max
  }

  rttTo(peerId: string): number | null {
    return this.#clocks.get(peerId)?.sync.estimate()?.rtt ?? null
  }

  /** Shared times in `frame` become times in ours by adding this; undefined while unmeasured. */
  deltaFrom(frame: string): number | undefined {
    return frameDelta(this.#selfId, frame, this.#frame, this.#estimates())
  }

  /**
   * Shared time: the host's clock. When the host changes, the frame follows: at once while no time is held
   * (`holdsTimes` false), otherwise once the old and new frames are both measured (or after
   * `FRAME_SWITCH_TIMEOUT_MS`), returning how far every time held must move.
   */
  sharedNow(local: number, host: string, holdsTimes: () => boolean): SharedTime {
    const estimates = this.#estimates()
    const rebaseMs = host === this.#frame ? null : this.#switchFrame(host, estimates, local, holdsTimes)
    if (host !== this.#frame) return { now: undefined, rebaseMs }
    const offset = offsetTo(this.#selfId, this.#frame, estimates)
    return { now: offset === undefined ? undefined : local + offset, rebaseMs }
  }

  clear(): void {
    this.#clocks.clear()
    this.#departed.clear()
  }

  #clockFor(peerId: string, local: number): MemberClock {
    let clock = this.#clocks.get(peerId)
    if (!clock) {
      const sync = new ClockSync({ now: this.#now, send: (message) => this.#send(message, peerId) })
      clock = { sync, nextPingAt: local }
      this.#clocks.set(peerId, clock)
      this.#departed.delete(peerId)
    }
    return clock
  }

  #estimates(): Map<string, OffsetEstimate | undefined> {
    const estimates = new Map(this.#departed)
    for (const [id, clock] of this.#clocks) estimates.set(id, clock.sync.estimate())
    return estimates
  }

  #switchFrame(
    host: string,
    estimates: Map<string, OffsetEstimate | undefined>,
    local: number,
    holdsTimes: () => boolean,
  ): number | null {
    if (!holdsTimes()) {
      this.#frame = host
      return null
    }
    const delta = frameDelta(this.#selfId, this.#frame, host, estimates)
    this.#framePendingSince ??= local
    const timedOut = local - this.#framePendingSince > FRAME_SWITCH_TIMEOUT_MS
    if (delta === undefined && !timedOut) return null
    this.#frame = host
    this.#framePendingSince = null
    return delta ?? 0
  }
}
