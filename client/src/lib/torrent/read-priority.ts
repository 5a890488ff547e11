/**
 * Who reads a dropped `File` first. Chromium serves a page's reads of one file in turn, through its browser
 * process, so a member's range read (torrent/range-server.ts) waits behind every hashing read already queued
 * (torrent/piece-hash.ts, 16 MiB each). While a member reads, hashing issues no new read: it waits until no
 * range read is pending, and for `LINGER_MS` after the last one, so the member's next request (one round trip
 * later) finds the queue empty again. A film then starts for the others at the speed of a 1 MiB read, and the
 * hashing goes on whenever the members have buffered ahead.
 */
import { realTimers, type Timers } from '../timers.ts'

/** How long hashing keeps waiting after the last range read ends: a member's next request is one round trip away. */
export const LINGER_MS = 300

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

export class ReadPriority {
  readonly #timers: Timers
  #pending = 0
  #lingering: unknown = null
  readonly #listeners = new Set<(urgent: boolean) => void>()
  /** Closed while urgent. */
  readonly #gate = new ReadGate()

  constructor(timers: Timers = realTimers) {
    this.#timers = timers
  }

  /** Range reads are pending, or ended less than `LINGER_MS` ago: hashing waits. */
  get urgent(): boolean {
    return this.#pending > 0 || this.#lingering !== null
  }

  /** A range read starts; the returned function ends it (once; later calls do nothing). */
  begin(): () => void {
    const wasUrgent = this.urgent
    this.#pending++
    if (this.#lingering !== null) {
      this.#timers.clearTimeout(this.#lingering)
      this.#lingering = null
    }
    if (!wasUrgent) this.#emit()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.#pending--
      if (this.#pending > 0) return
      this.#lingering = this.#timers.setTimeout(() => {
        this.#lingering = null
        if (!this.urgent) this.#emit()
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

  #emit(): void {
    const urgent = this.urgent
    this.#gate.set(urgent)
    for (const listener of this.#listeners) listener(urgent)
  }
}
