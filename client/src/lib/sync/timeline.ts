/**
 * The room's playback timeline in shared time, and the leaderless command log that produces it.
 *
 * Every change is a command stamped `(HLC, peer)` that takes effect at a scheduled shared instant. Each peer
 * keeps the recent commands sorted by stamp and folds them over a common base, so the same set of commands
 * gives the same timeline on every peer whatever order they arrived in. Pure: no clock, no timers.
 */
import { compareStamps, hlcTick, type Hlc, type Stamp } from './hlc.ts'

const RATE_MIN = 0.5
export const RATE_MAX = 2
/** Lead = clamp(margin + factor × max RTT, min, max): the command must reach every peer before it applies. */
export const LEAD_MIN_MS = 80
export const LEAD_MAX_MS = 1_000
const LEAD_MARGIN_MS = 50
/** A full RTT is twice the one-way trip: headroom for jitter and a busy main thread. */
const LEAD_RTT_FACTOR = 1
/** Commands kept for reordering; older ones are folded into the base. */
export const LOG_LIMIT = 64
/** Segments kept behind the newest, so a command scheduled ahead does not erase what plays until then. */
const SEGMENT_HISTORY = 4

export interface Segment {
  /** the room's intent: playing or paused */
  playing: boolean
  /** buffering hold: frozen at `position` until released, whatever `playing` says */
  held: boolean
  /** media seconds at shared instant `at` */
  position: number
  rate: number
  /** shared ms */
  at: number
}

export interface Timeline extends Segment {
  /** stamp wall (≈ shared ms at issue) of the last `release`: stall reports from before it are stale */
  releasedAt: number
  /** the command that produced this segment; null for a base snapshot */
  stamp: Stamp | null
  /** what applies before `at` (bounded history) */
  previous: Timeline | null
}

export type CommandBody =
  | { kind: 'play' }
  /** `position`: where the room stops (the issuer's fold at `effectiveAt`), so every member ends on one frame. */
  | { kind: 'pause'; position?: number | undefined }
  | { kind: 'seek'; position: number }
  | { kind: 'rate'; rate: number }
  | { kind: 'hold' }
  | { kind: 'release' }

export type Command = CommandBody & {
  stamp: Stamp
  /** shared ms at which the command takes effect */
  effectiveAt: number
}

export const INITIAL_TIMELINE: Timeline = {
  playing: false,
  held: false,
  position: 0,
  rate: 1,
  at: 0,
  releasedAt: 0,
  stamp: null,
  previous: null,
}

export function clampRate(rate: number): number {
  return Math.min(RATE_MAX, Math.max(RATE_MIN, rate))
}

/**
 * How far ahead a command takes effect: a lead that lets it reach everyone first, so all switch at one
 * instant — except a seek, which takes effect at once. A seek while the room plays is a hold at its target
 * (`applyCommand`): where each member stops on the way there does not matter, only that all resume together
 * from the target at the release's instant, and a lead would only delay everyone's seek by as much.
 */
export function leadFor(body: CommandBody, maxRttMs: number): number {
  return body.kind === 'seek' ? 0 : commandLeadMs(maxRttMs)
}

export function commandLeadMs(maxRttMs: number): number {
  const lead = LEAD_MARGIN_MS + LEAD_RTT_FACTOR * (Number.isFinite(maxRttMs) ? Math.max(0, maxRttMs) : 0)
  return Math.min(LEAD_MAX_MS, Math.max(LEAD_MIN_MS, lead))
}

/**
 * When the room last started moving from still (a play, or the release of a hold or a seek), if it has moved
 * ever since: the shared instant of the first moving segment after a still one. Every member may issue the
 * same release, so several moving segments can follow. Null while still, or when the kept history holds no
 * still segment.
 */
export function startedFromStill(timeline: Timeline, now: number): number | null {
  let segment = timeline
  while (now < segment.at && segment.previous) segment = segment.previous
  if (!isMoving(segment) || now < segment.at) return null
  for (let previous = segment.previous; previous; previous = previous.previous) {
    if (!isMoving(previous)) return segment.at
    segment = previous
  }
  return null
}

/** The segment in effect at `now`. Before the oldest kept segment we extrapolate it (history is bounded). */
export function segmentAt(timeline: Timeline, now: number): Segment {
  let segment = timeline
  while (now < segment.at && segment.previous) segment = segment.previous
  return segment
}

export function isMoving(segment: Segment): boolean {
  return segment.playing && !segment.held
}

/** Media position (s) the room is at at shared instant `now`. */
export function positionAt(timeline: Timeline, now: number): number {
  const s = segmentAt(timeline, now)
  const elapsed = isMoving(s) ? ((now - s.at) / 1000) * s.rate : 0
  return Math.max(0, s.position + elapsed)
}

function trimHistory(timeline: Timeline, depth: number): Timeline {
  if (depth <= 0 || !timeline.previous) return { ...timeline, previous: null }
  return { ...timeline, previous: trimHistory(timeline.previous, depth - 1) }
}

/**
 * Applies one command. A command ordered at or before the timeline's own is ignored, and the effect is
 * never scheduled before the current segment: the timeline only moves forward, in order and in time.
 */
export function applyCommand(timeline: Timeline, command: Command): Timeline {
  if (timeline.stamp && compareStamps(command.stamp, timeline.stamp) <= 0) return timeline
  const at = Math.max(command.effectiveAt, timeline.at)
  const next: Timeline = {
    playing: timeline.playing,
    held: timeline.held,
    position: positionAt(timeline, at),
    rate: timeline.rate,
    at,
    releasedAt: timeline.releasedAt,
    stamp: command.stamp,
    previous: trimHistory(timeline, SEGMENT_HISTORY - 1),
  }
  switch (command.kind) {
    case 'play':
      return { ...next, playing: true }
    case 'pause':
      return {
        ...next,
        playing: false,
        position: command.position === undefined ? next.position : Math.max(0, command.position),
      }
    case 'seek':
      // A seek while the room plays holds it at the target: every member seeks there paused, says when it
      // can play from it, and the room resumes with one `release` at one shared instant (hold.ts).
      return { ...next, position: Math.max(0, command.position), held: next.held || next.playing }
    case 'rate':
      return { ...next, rate: clampRate(command.rate) }
    case 'hold':
      return { ...next, held: true }
    case 'release':
      return { ...next, held: false, releasedAt: Math.max(timeline.releasedAt, command.stamp.wall) }
    default:
      return assertNever(command)
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled command ${JSON.stringify(value)}`)
}

/** A peer's view of the room: a base snapshot, the recent commands (sorted) and their fold. */
export interface PlaybackLog {
  readonly base: Timeline
  readonly commands: readonly Command[]
  readonly timeline: Timeline
}

export function createLog(base: Timeline = INITIAL_TIMELINE): PlaybackLog {
  return { base, commands: [], timeline: base }
}

/**
 * Adds a command (duplicates and commands older than the base are ignored: the same log comes back).
 * Folding the whole sorted log makes the result independent of arrival order.
 */
export function addCommand(log: PlaybackLog, command: Command): PlaybackLog {
  if (log.base.stamp && compareStamps(command.stamp, log.base.stamp) <= 0) return log
  let index = log.commands.length
  while (index > 0) {
    const order = compareStamps(command.stamp, log.commands[index - 1]!.stamp)
    if (order === 0) return log
    if (order > 0) break
    index--
  }
  const sorted = [...log.commands.slice(0, index), command, ...log.commands.slice(index)]
  const excess = Math.max(0, sorted.length - LOG_LIMIT)
  const base = sorted.slice(0, excess).reduce(applyCommand, log.base)
  const commands = sorted.slice(excess)
  return { base, commands, timeline: commands.reduce(applyCommand, base) }
}

export interface IssueContext {
  /** this peer's HLC, advanced and returned with the command */
  hlc: Hlc
  peer: string
  sharedNow: number
  /** largest round trip to any member, ms */
  maxRttMs: number
}

/** Stamps a local change and schedules it `leadFor` ahead. */
export function issueCommand(body: CommandBody, context: IssueContext): { command: Command; hlc: Hlc } {
  const hlc = hlcTick(context.hlc, context.sharedNow)
  const command: Command = {
    ...body,
    stamp: { ...hlc, peer: context.peer },
    effectiveAt: context.sharedNow + leadFor(body, context.maxRttMs),
  }
  return { command, hlc }
}

/** Moves a timeline between shared-time frames (when the host, whose clock is shared time, changes). */
export function rebaseTimeline(timeline: Timeline, deltaMs: number): Timeline {
  return {
    ...timeline,
    at: timeline.at + deltaMs,
    previous: timeline.previous ? rebaseTimeline(timeline.previous, deltaMs) : null,
  }
}
