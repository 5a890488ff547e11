/**
 * Who reads a dropped `File` first. Chromium serves a page's reads of one file in turn, through its browser
 * process, so a member's range read (torrent/range-server.ts) waits behind every hashing read already queued
 * (torrent/piece-hash.ts: each worker's stream of the file, 512 KiB a read). While a member's read of the file
 * is in flight, hashing issues no new read, and for `LINGER_MS` after the last one, so a member's next read
 * (the demuxer's next step, a round trip later) finds the queue empty again: a film starts for the others at
 * the speed of a 1 MiB read.
 *
 * Hashing keeps a fair share: it is held at most `HOLD_MS` at a stretch, then reads for `SHARE_MS` whatever
 * the members ask (their reads then wait behind at most one hashing read per worker). Members that stream
 * without a pause thus leave hashing at least SHARE_MS / (HOLD_MS + SHARE_MS) of the time, and the torrent,
 * which brings other seeders and seeks served by the swarm, comes late by at most that ratio instead of
 * waiting until everyone has buffered ahead.
 */
import { realTimers, type Timers } from '../timers.ts'
import { trace } from '../trace.ts'

/** How long hashing keeps waiting after the last range read ends: a member's next request is one round trip away. */
export const LINGER_MS = 200
/** The longest hashing waits for the members' reads at a stretch. */
export const HOLD_MS = 400
/** After a hold of `HOLD_MS`, hashing reads this long before members' reads may hold it again. */
export const SHARE_MS = 800

/**
 * A gate a reader waits at before each read: `mayRead` resolves at once while it is open, else when it opens.
 * A hashing worker's side of the page's `ReadPriority` (its `HashPause` messages), and that priority's own
 * `idle`.
 */
export class ReadGate {
  #resume: { promise: Promise<void>; resolve: () => void } | null = null

  set(paused: boolean): void {
    if (paused && !this.#resume) {
      let resolve = () => {}
      const promise = new Promise<void>((r) => (resolve = r))
      this.#resume = { promise, resolve }
    } else if (!paused && this.#resume) {
      this.#resume.resolve()
      this.#resume = null
    }
  }

  readonly mayRead = (): Promise<void> => this.#resume?.promise ?? Promise.resolve()
}

/** `open`: hashing reads; `held`: it waits for the members (since a timer bounds it); `sharing`: its turn. */
type Phase = { kind: 'open' } | { kind: 'held' | 'sharing'; timer: unknown }

export class ReadPriority {
  readonly #timers: Timers
  #pending = 0
  #lingering: unknown = null
  #phase: Phase = { kind: 'open' }
  readonly #listeners = new Set<(urgent: boolean) => void>()
  /** Closed while urgent. */
  readonly #gate = new ReadGate()

  constructor(timers: Timers = realTimers) {
    this.#timers = timers
  }

  /** Hashing waits now: members' reads are in flight or just ended, and hashing has not used up its hold. */
  get urgent(): boolean {
    return this.#phase.kind === 'held'
  }

  /** Members' reads are in flight, or ended less than `LINGER_MS` ago. */
  get #wanted(): boolean {
    return this.#pending > 0 || this.#lingering !== null
  }

  /** A range read starts; the returned function ends it (once; later calls do nothing). */
  begin(): () => void {
    this.#pending++
    if (this.#lingering !== null) {
      this.#timers.clearTimeout(this.#lingering)
      this.#lingering = null
    }
    this.#update()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.#pending--
      if (this.#pending > 0) return
      this.#lingering = this.#timers.setTimeout(() => {
        this.#lingering = null
        this.#update()
      }, LINGER_MS)
    }
  }

  /** Resolves at once when nothing is urgent, else when that ends. */
  idle(): Promise<void> {
    return this.#gate.mayRead()
  }

  /** Calls `listener` whenever `urgent` changes; returns its removal. */
  onChange(listener: (urgent: boolean) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Moves between open and held as the members' reads come and go (a share runs out on its own timer). */
  #update(): void {
    const phase = this.#phase
    if (phase.kind === 'open' && this.#wanted) {
      this.#phase = { kind: 'held', timer: this.#timers.setTimeout(() => this.#share(), HOLD_MS) }
      this.#emit()
    } else if (phase.kind === 'held' && !this.#wanted) {
      this.#timers.clearTimeout(phase.timer)
      this.#phase = { kind: 'open' }
      this.#emit()
    }
  }

  /** Hashing has waited `HOLD_MS`: it reads for `SHARE_MS`, then the members' reads may hold it again. */
  #share(): void {
    this.#phase = {
      kind: 'sharing',
      timer: this.#timers.setTimeout(() => {
        this.#phase = { kind: 'open' }
        this.#update()
      }, SHARE_MS),
    }
    this.#emit()
  }

  #emit(): void {
    trace(`hashing:${this.#phase.kind}`)
    const urgent = this.urgent
    this.#gate.set(urgent)
    for (const listener of this.#listeners) listener(urgent)
  }
}
