/**
 * The drift controller: a pure function from (timeline, player snapshot, shared now, controller state) to one
 * action. It never reads a clock and never touches the player; the session calls it every tick (through
 * controller-loop.ts) and performs the action through the `Player` seam. docs/sync.md explains the thresholds.
 */
import { isMoving, positionAt, segmentAt, startedFromStill, type Segment, type Timeline } from './timeline.ts'

/** Idle: drift up to this is left alone (timer and `currentTime` jitter are a few ms). */
export const RATE_ENTER_MS = 10
/** Correcting: stop once drift is back under this. Enter > exit is the hysteresis. */
export const RATE_EXIT_MS = 3
/** Proportional gain: a drift of `d` asks for a rate change of d / horizon, so drift decays with this time constant. */
const RATE_HORIZON_S = 0.4
/** Largest rate deviation: ±10 % tempo with pitch preserved (the browser default) is hard to notice and fixes 100 ms per second. */
export const RATE_MAX_DEVIATION = 0.1
/**
 * The resume chase: for this long after the room starts moving from still (a play, the release of a hold or a
 * seek), the members' start spread (each page's `play()` on its own busy main thread) is caught up with a
 * wider cap. Right after the picture jumped or started, a brief change of tempo goes unnoticed, and at ±10 %
 * a member 150 ms late takes 1.3 s to be within 25 ms (0.7 s at ±30 %). The horizon stays `RATE_HORIZON_S`:
 * a shorter one overshoots when a busy page's ticks come hundreds of ms late.
 */
export const RESUME_CHASE_MS = 2_000
export const RESUME_MAX_DEVIATION = 0.3
/** While correcting, smaller rate changes than this are not worth a `ratechange`. */
const RATE_QUANTUM = 0.002
/** Above this, rate would take too long: seek instead (with seek latency compensation). */
export const SEEK_THRESHOLD_MS = 300
/** Right after a seek taught us the real latency, a miss above this is re-sought at once (once). */
export const SEEK_REFINE_MS = 40
/** No second seek this soon after one: let the latency estimate and rate correction settle. */
export const SEEK_COOLDOWN_MS = 1_500
/**
 * When paused the target is one frame: re-seek if the shown frame is off by more than this. Two members may
 * sit on either side of the room, so twice this must stay under the room's 25 ms target; a paused seek lands
 * on the exact time in Chromium, so the re-seek costs nothing visible.
 */
export const PAUSED_TOLERANCE_MS = 10
export const SEEK_LATENCY_INITIAL_MS = 150
const SEEK_LATENCY_MAX_MS = 2_000
/** EWMA weight of a new seek-latency observation. */
const SEEK_LATENCY_ALPHA = 0.3
/**
 * The first observations of a new element: the estimate keeps the smallest (a seek can be slowed by a wait for
 * data or a busy page, never sped up), and a refinement may follow a refinement while the estimate moves.
 */
const SEEK_LATENCY_WARMUP = 3
/** Observations further than this from the estimate are outliers (a command landed mid-seek), not latency. */
const SEEK_LATENCY_OUTLIER_MS = 1_000
/** Shortest idle stretch to learn the media-clock error from (2 ms of read noise over 1 s is 0.2 %). */
const TRIM_BASELINE_MS = 1_000
/** Weight of a new trim measurement. */
const TRIM_ALPHA = 0.5
/** Inside the dead band, drift is nudged toward 0 with this (slow) time constant... */
const NUDGE_HORIZON_S = 2
/** ...by at most this rate deviation: far below what anyone can hear. */
const NUDGE_MAX = 0.01
/** Media clocks off by more than this are broken; rate correction still copes with the rest. */
const TRIM_MAX = 0.02
/** `HTMLMediaElement.HAVE_FUTURE_DATA`: playing now would not stall immediately. */
export const READY_TO_PLAY = 3

export interface PlayerSnapshot {
  /** media seconds */
  currentTime: number
  paused: boolean
  playbackRate: number
  /** `HTMLMediaElement.readyState` (0..4) */
  readyState: number
  seeking: boolean
  /** seconds buffered contiguously after `currentTime` */
  bufferedAhead: number
  /** media seconds; NaN while unknown */
  duration: number
}

export interface ControllerState {
  correcting: boolean
  /** learned media-clock error: idle playback runs at `rate × (1 + rateTrim)` so drift stays flat */
  rateTrim: number
  /** where the current idle stretch started, to measure how fast drift grows while we leave it alone */
  idleBaseline: IdleBaseline | null
  /** effective seek latency: from `seek()` to playback running at the new position, ms (EWMA) */
  seekLatencyMs: number
  /** our last seek, and the segment it corrected toward (`segment.at`): the cooldown is per segment */
  lastSeek: { at: number; segmentAt: number } | null
  /** a seek whose outcome will tell us the real latency; `refined` if it was itself a refinement */
  pendingSeek: { latencyUsedMs: number; segmentAt: number; refined: boolean } | null
  /** seek latency observations so far (the first one replaces the initial guess) */
  seekSamples: number
  seeks: number
  rateChanges: number
}

export interface IdleBaseline {
  at: number
  driftMs: number
  segmentAt: number
  /** the playbackRate we set for this stretch */
  rate: number
}

export type Action =
  | { type: 'none' }
  | { type: 'setRate'; rate: number }
  /**
   * `play`: also start playing (a paused player joining a moving room), not after the seek lands. `pause`:
   * pause first, then seek (the room stopped: every member lands on its exact position).
   */
  | { type: 'seek'; position: number; play?: true; pause?: true }
  | { type: 'play' }
  | { type: 'pause' }

export interface Decision {
  action: Action
  state: ControllerState
  /** player − room, ms (positive: ahead); null while it cannot be measured (seeking) */
  driftMs: number | null
}

export const INITIAL_CONTROLLER_STATE: ControllerState = {
  correcting: false,
  rateTrim: 0,
  idleBaseline: null,
  seekLatencyMs: SEEK_LATENCY_INITIAL_MS,
  lastSeek: null,
  pendingSeek: null,
  seekSamples: 0,
  seeks: 0,
  rateChanges: 0,
}

const NONE: Action = { type: 'none' }

export function decide(
  timeline: Timeline,
  snapshot: PlayerSnapshot,
  now: number,
  state: ControllerState,
): Decision {
  // Mid-seek `currentTime` is the seek target, not where playback is: nothing to measure yet.
  if (snapshot.seeking) return { action: NONE, state, driftMs: null }
  const segment = segmentAt(timeline, now)
  const target = positionAt(timeline, now)
  const driftMs = (snapshot.currentTime - target) * 1000
  const s = learnSeekLatency(state, snapshot, segment, driftMs)
  // A seek just told us the real latency and missed by a lot: one refinement beats seconds of rate correction.
  const refine =
    state.pendingSeek !== null && s.seekSamples > state.seekSamples && refinable(state.pendingSeek, s)
  const decision = (action: Action, next: ControllerState): Decision => ({ action, state: next, driftMs })
  const settled = { ...s, correcting: false, idleBaseline: null }

  if (Number.isFinite(snapshot.duration) && target >= snapshot.duration) {
    // The room ran past the end: whatever the player does (it has ended), there is nothing to correct.
    return decision(NONE, settled)
  }
  if (!isMoving(segment)) {
    // The room stopped (a pause, a hold, a seek while playing): pause and seek to its exact position at once,
    // whatever the drift, so every member ends on the same frame.
    if (!snapshot.paused) return pauseAt(settled, target, now, segment, driftMs)
    if (Math.abs(driftMs) > PAUSED_TOLERANCE_MS) return seek(settled, target, now, segment, driftMs, false)
    if (snapshot.playbackRate !== segment.rate) return rate(settled, segment.rate, driftMs)
    return decision(NONE, settled)
  }
  // Playing but starved (no data at the playhead): buffering is the hold logic's business. A seek would not
  // bring data, and our own seek would keep the stall from being reported (hold-loop.ts OWN_SEEK_GRACE_MS).
  if (!snapshot.paused && snapshot.readyState < READY_TO_PLAY) return decision(NONE, settled)
  const cooling = s.lastSeek?.segmentAt === segment.at && now - s.lastSeek.at < SEEK_COOLDOWN_MS
  const seekAbove = refine ? SEEK_REFINE_MS : SEEK_THRESHOLD_MS
  if (Math.abs(driftMs) > seekAbove && (!cooling || refine)) {
    const compensated = target + (s.seekLatencyMs / 1000) * segment.rate
    // Paused (a joiner, or after a stall): play with the seek. Waiting for the seek to land before play()
    // would add a tick, the seek and play's own start-up, one after the other, to the first frame.
    return seek(settled, compensated, now, segment, driftMs, true, refine, snapshot.paused)
  }
  if (snapshot.paused) return decision({ type: 'play' }, settled)
  const started = startedFromStill(timeline, now)
  const resuming = started !== null && now - started < RESUME_CHASE_MS
  return correctRate(s, snapshot, segment, now, driftMs, resuming)
}

/**
 * Proportional rate correction with hysteresis. While idle it measures how fast drift grows to learn the
 * media clock's error (the trim), and every `TRIM_BASELINE_MS` nudges gently toward zero drift, so drift
 * sits near 0 instead of anywhere in the dead band. `resuming`: the resume chase (`RESUME_CHASE_MS`).
 */
function correctRate(
  s: ControllerState,
  snapshot: PlayerSnapshot,
  segment: Segment,
  now: number,
  driftMs: number,
  resuming: boolean,
): Decision {
  const idleRate = segment.rate * (1 + s.rateTrim)
  const startIdle = (state: ControllerState, playbackRate: number): ControllerState => ({
    ...state,
    correcting: false,
    idleBaseline: { at: now, driftMs, segmentAt: segment.at, rate: playbackRate },
  })
  if (s.correcting && Math.abs(driftMs) <= RATE_EXIT_MS) {
    return rate(startIdle(s, idleRate), idleRate, driftMs) // back in the band, at the trimmed rate
  }
  const baseline = s.idleBaseline?.segmentAt === segment.at ? s.idleBaseline : null
  const measured = baseline !== null && snapshot.playbackRate === baseline.rate
  const learned =
    measured && now - baseline.at >= TRIM_BASELINE_MS ? learnTrim(s, baseline, segment, now, driftMs) : s
  if (!s.correcting && Math.abs(driftMs) <= RATE_ENTER_MS) {
    if (learned !== s) {
      const nudge = clamp(driftMs / 1000 / NUDGE_HORIZON_S, -NUDGE_MAX, NUDGE_MAX)
      const nudged = segment.rate * (1 + learned.rateTrim) * (1 - nudge)
      const next = startIdle(learned, nudged)
      return nudged === snapshot.playbackRate ? none(next, driftMs) : rate(next, nudged, driftMs)
    }
    if (measured) return none(s, driftMs)
    // No usable baseline (new segment, someone else changed the rate): restart one from a sane rate.
    if (Math.abs(snapshot.playbackRate / idleRate - 1) > NUDGE_MAX)
      return rate(startIdle(s, idleRate), idleRate, driftMs)
    return none(startIdle(s, snapshot.playbackRate), driftMs)
  }
  const next = { ...learned, correcting: true, idleBaseline: null }
  const cap = resuming ? RESUME_MAX_DEVIATION : RATE_MAX_DEVIATION
  const deviation = clamp(driftMs / 1000 / RATE_HORIZON_S, -cap, cap)
  const wanted = segment.rate * (1 + next.rateTrim) * (1 - deviation)
  if (Math.abs(wanted - snapshot.playbackRate) < RATE_QUANTUM * segment.rate) return none(next, driftMs)
  return rate(next, wanted, driftMs)
}

/**
 * Over the idle stretch we played at `baseline.rate` and drift grew at `slope` (ms per ms), so the media clock
 * runs at `(R + slope) / baseline.rate` of what we ask; the trim is its inverse.
 */
function learnTrim(
  s: ControllerState,
  baseline: IdleBaseline,
  segment: Segment,
  now: number,
  driftMs: number,
): ControllerState {
  const slope = (driftMs - baseline.driftMs) / (now - baseline.at)
  const measured = baseline.rate / (segment.rate + slope) - 1
  const trim = s.rateTrim + TRIM_ALPHA * (measured - s.rateTrim)
  return { ...s, rateTrim: clamp(trim, -TRIM_MAX, TRIM_MAX) }
}

function none(state: ControllerState, driftMs: number): Decision {
  return { action: NONE, state, driftMs }
}

function seek(
  state: ControllerState,
  position: number,
  now: number,
  segment: Segment,
  driftMs: number,
  learn: boolean,
  refined = false,
  play = false,
): Decision {
  const at = Math.max(0, position)
  return {
    action: play ? { type: 'seek', position: at, play: true } : { type: 'seek', position: at },
    state: {
      ...state,
      lastSeek: { at: now, segmentAt: segment.at },
      pendingSeek: learn ? { latencyUsedMs: state.seekLatencyMs, segmentAt: segment.at, refined } : null,
      seeks: state.seeks + 1,
    },
    driftMs,
  }
}

function pauseAt(
  state: ControllerState,
  position: number,
  now: number,
  segment: Segment,
  driftMs: number,
): Decision {
  const decision = seek(state, position, now, segment, driftMs, false)
  return { ...decision, action: { type: 'seek', position: Math.max(0, position), pause: true } }
}

function rate(state: ControllerState, playbackRate: number, driftMs: number): Decision {
  return {
    action: { type: 'setRate', rate: playbackRate },
    state: { ...state, rateChanges: state.rateChanges + 1 },
    driftMs,
  }
}

/**
 * After a compensated seek, playback resumed at `target + L·rate` while the room moved on by `A·rate`
 * (A = the real latency), so the first drift we see is (L − A)·rate: it measures A exactly, tick jitter and
 * `play()` delay included, which a `seeking`→`seeked` timer would not.
 */
function learnSeekLatency(
  state: ControllerState,
  snapshot: PlayerSnapshot,
  segment: Segment,
  driftMs: number,
): ControllerState {
  const pending = state.pendingSeek
  if (!pending || snapshot.paused || snapshot.readyState < READY_TO_PLAY) return state
  // The room changed since the seek (a new command): this drift says nothing about latency.
  if (pending.segmentAt !== segment.at || !isMoving(segment)) return { ...state, pendingSeek: null }
  const observed = pending.latencyUsedMs - driftMs / segment.rate
  if (Math.abs(observed - state.seekLatencyMs) > SEEK_LATENCY_OUTLIER_MS)
    return { ...state, pendingSeek: null }
  const alpha = state.seekSamples === 0 ? 1 : SEEK_LATENCY_ALPHA
  const ewma =
    state.seekSamples > 0 && state.seekSamples < SEEK_LATENCY_WARMUP
      ? Math.min(state.seekLatencyMs, observed)
      : state.seekLatencyMs + alpha * (observed - state.seekLatencyMs)
  return {
    ...state,
    pendingSeek: null,
    seekSamples: state.seekSamples + 1,
    seekLatencyMs: clamp(ewma, 0, SEEK_LATENCY_MAX_MS),
  }
}

/**
 * A seek that taught us the latency may be refined at once (a miss above `SEEK_REFINE_MS`). A refinement's own
 * outcome may be refined too, while the controller is still warming up and what it learned changes the aim by
 * more than that: a joiner's first informative seek often still waits for data, so the latency it teaches is
 * too long and the refinement lands ahead by more than rate correction absorbs in a second.
 * Bounded: at most `SEEK_LATENCY_WARMUP` samples qualify in an element's life.
 */
function refinable(pending: NonNullable<ControllerState['pendingSeek']>, learned: ControllerState): boolean {
  if (!pending.refined) return true
  return (
    learned.seekSamples <= SEEK_LATENCY_WARMUP &&
    Math.abs(learned.seekLatencyMs - pending.latencyUsedMs) > SEEK_REFINE_MS
  )
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/** Exhaustiveness guard for consumers switching over `Action`. */
export function assertNeverAction(action: never): never {
  throw new Error(`unhandled action ${JSON.stringify(action)}`)
}
