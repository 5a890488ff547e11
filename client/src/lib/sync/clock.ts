/**
 * Per-peer clock offset, NTP style, plus the app clock every sync module reads through an injected `now()`.
 *
 * Offsets are `remote − local`: a remote timestamp `r` is `r − offset` in local time.
 */

/** How many recent samples we keep; the one with the smallest round trip wins. */
export const CLOCK_WINDOW = 8
/** Fast burst at start so a fresh peer has a usable offset within about half a second. */
export const CLOCK_BURST_COUNT = 5
export const CLOCK_BURST_INTERVAL_MS = 100
/**
 * Then a warm-up: a member's first seconds in a room are its busiest (joining, fetching the torrent,
 * starting the video), so its first samples carry the most queueing. An estimate from them can sit tens of
 * ms off, inside the controller's dead band by the member's own reckoning, until the next slow refresh
 * corrects it. Pinging every 250 ms for the first few seconds refills the window with calm samples.
 */
export const CLOCK_WARMUP_COUNT = 25
export const CLOCK_WARMUP_INTERVAL_MS = 250
/** After the warm-up, refresh slowly: clocks drift by ppm, the window still covers ~16 s. */
export const CLOCK_REFRESH_INTERVAL_MS = 2_000
/** A pong older than this is ignored: its round trip would be useless and the ping is forgotten. */
const CLOCK_PING_TIMEOUT_MS = 5_000
/** Shared time is not trusted before the host's clock has this many samples: one sample may be a spike. */
export const CLOCK_MIN_SAMPLES = 3
/** Samples with a round trip above this carry so much possible error that confidence drops to zero. */
const CLOCK_USELESS_RTT_MS = 1_000

/** The four NTP timestamps: t0 local send, t1 remote receive, t2 remote send, t3 local receive. */
export interface ClockSample {
  t0: number
  t1: number
  t2: number
  t3: number
}

export interface OffsetEstimate {
  /** remote clock − local clock, ms */
  offset: number
  /** round trip of the chosen sample, ms; the true offset lies within ±rtt/2 of `offset` */
  rtt: number
  /** 0..1: grows with the number of samples, shrinks with the round trip */
  confidence: number
  samples: number
}

/** Offset and round trip of one exchange; `undefined` for impossible samples (negative round trip). */
export function measureSample(s: ClockSample): { offset: number; rtt: number } | undefined {
  const rtt = s.t3 - s.t0 - (s.t2 - s.t1)
  if (!Number.isFinite(rtt) || rtt < 0 || s.t2 < s.t1) return undefined
  return { offset: (s.t1 - s.t0 + (s.t2 - s.t3)) / 2, rtt }
}

/** Keeps the last `CLOCK_WINDOW` samples; the estimate is the one with the smallest round trip. */
export class OffsetEstimator {
  #samples: { offset: number; rtt: number }[] = []

  /** Returns false when the sample was rejected as impossible. */
  add(sample: ClockSample): boolean {
    const measured = measureSample(sample)
    if (!measured) return false
    this.#samples.push(measured)
    if (this.#samples.length > CLOCK_WINDOW) this.#samples.shift()
    return true
  }

  estimate(): OffsetEstimate | undefined {
    let best: { offset: number; rtt: number } | undefined
    for (const s of this.#samples) if (!best || s.rtt < best.rtt) best = s
    if (!best) return undefined
    const n = this.#samples.length
    // Few samples may all have hit a queueing spike; a long round trip bounds the error only loosely.
    const confidence = Math.min(1, n / CLOCK_BURST_COUNT) * Math.max(0, 1 - best.rtt / CLOCK_USELESS_RTT_MS)
    return { offset: best.offset, rtt: best.rtt, confidence, samples: n }
  }
}

export interface ClockPing {
  type: 'sync/ping'
  id: number
  t0: number
}

export interface ClockPong {
  type: 'sync/pong'
  id: number
  t0: number
  t1: number
  t2: number
}

export interface ClockSyncOptions {
  /** The local app clock (see `createAppClock`), ms. */
  now: () => number
  /** Sends a message to the one peer this instance measures. */
  send: (message: ClockPing | ClockPong) => void
}

/**
 * Measures the offset to one peer. Owns no timer: the caller asks `nextPingDelayMs()` and calls `ping()`,
 * so tests and the simulation drive it with a fake clock.
 */
export class ClockSync {
  readonly estimator = new OffsetEstimator()
  #now: () => number
  #send: (message: ClockPing | ClockPong) => void
  #nextId = 1
  #outstanding = new Map<number, number>()
  #sent = 0

  constructor(options: ClockSyncOptions) {
    this.#now = options.now
    this.#send = options.send
  }

  /** Sends a ping and returns it. */
  ping(): ClockPing {
    const message: ClockPing = { type: 'sync/ping', id: this.#nextId++, t0: this.#now() }
    this.#forgetStale(message.t0)
    this.#outstanding.set(message.id, message.t0)
    this.#sent++
    this.#send(message)
    return message
  }

  /** Answers a peer's ping. `receivedAt` should be taken as early as possible (on message arrival). */
  handlePing(ping: ClockPing, receivedAt: number = this.#now()): void {
    this.#send({ type: 'sync/pong', id: ping.id, t0: ping.t0, t1: receivedAt, t2: this.#now() })
  }

  /** Records a pong to one of our pings; returns false for unknown, stale or impossible pongs. */
  handlePong(pong: ClockPong, receivedAt: number = this.#now()): boolean {
    const t0 = this.#outstanding.get(pong.id)
    // The echoed t0 must be ours: a confused or replaying peer must not poison the estimate.
    if (t0 === undefined || t0 !== pong.t0) return false
    this.#outstanding.delete(pong.id)
    if (receivedAt - t0 > CLOCK_PING_TIMEOUT_MS) return false
    return this.estimator.add({ t0, t1: pong.t1, t2: pong.t2, t3: receivedAt })
  }

  /** Delay before the next ping: a burst while the peer is new, a warm-up, then a slow refresh. */
  nextPingDelayMs(): number {
    if (this.#sent < CLOCK_BURST_COUNT) return CLOCK_BURST_INTERVAL_MS
    return this.#sent < CLOCK_WARMUP_COUNT ? CLOCK_WARMUP_INTERVAL_MS : CLOCK_REFRESH_INTERVAL_MS
  }

  estimate(): OffsetEstimate | undefined {
    return this.estimator.estimate()
  }

  #forgetStale(now: number): void {
    for (const [id, t0] of this.#outstanding)
      if (now - t0 > CLOCK_PING_TIMEOUT_MS) this.#outstanding.delete(id)
  }
}

export const CLOCK_SKEW_KEY = 'theatron:clock-skew-ms'
/** Skews beyond a day are typos, not tests. */
const CLOCK_SKEW_LIMIT_MS = 86_400_000

export interface TimeSource {
  readonly timeOrigin: number
  now(): number
}

export interface SkewStorage {
  getItem(key: string): string | null
}

/** Reads the testing skew; anything but a finite number within the limit counts as no skew. */
export function readClockSkew(storage: SkewStorage | undefined): number {
  let raw: string | null
  try {
    raw = storage?.getItem(CLOCK_SKEW_KEY) ?? null
  } catch {
    return 0 // storage can throw (blocked cookies, sandboxed frames): the aid is optional
  }
  if (raw === null || raw.trim() === '') return 0
  const skew = Number(raw)
  return Number.isFinite(skew) && Math.abs(skew) <= CLOCK_SKEW_LIMIT_MS ? skew : 0
}

/**
 * `timeOrigin + now()` is monotonic within a tab (unlike `Date.now()`), and comparable across tabs of one
 * machine; the skew lets tests give tabs clocks that disagree by seconds.
 */
export class SkewedClock {
  readonly skewMs: number
  #time: TimeSource

  constructor(time: TimeSource, skewMs: number) {
    this.#time = time
    this.skewMs = skewMs
  }

  now = (): number => this.#time.timeOrigin + this.#time.now() + this.skewMs
}

function defaultStorage(): SkewStorage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

/** The app clock; the skew is read once, at creation. */
export function createAppClock(options: { time?: TimeSource; storage?: SkewStorage } = {}): SkewedClock {
  const storage = 'storage' in options ? options.storage : defaultStorage()
  return new SkewedClock(options.time ?? performance, readClockSkew(storage))
}
