/**
 * What the playback session puts on the room's `playback` feature, and the pure log operations it needs that
 * timeline.ts does not have: merging a joiner's snapshots, moving logs between time frames, measuring the
 * offset to the frame's member. No clock, no timers, no DOM.
 *
 * **Frames.** Shared time is the clock of one member, the _frame_. The session uses the room's host (every
 * member agrees on it, it changes only when the host leaves, and a newcomer is never host), rather than the
 * smallest peer id, which a late joiner would take over one time in N. Every snapshot and
 * command names the frame its times are in, so a receiver in another frame (for a moment, around a host
 * change) can convert them.
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'
import { fail, ok, type WireResult } from '../wire/result.ts'
import { PeerId } from '../wire/schemas.ts'
import { CLOCK_MIN_SAMPLES, type OffsetEstimate } from './clock.ts'
import { compareStamps } from './hlc.ts'
import { parseSyncMessage, type StateMessage, type SyncMessage } from './messages.ts'
import { addCommand, createLog, rebaseTimeline, type Command, type PlaybackLog } from './timeline.ts'

export const PLAYBACK_FEATURE = 'playback'

/** The commands a person gives (the room's roles may refuse them); `hold` and `release` follow from buffers. */
export const CONTROL_KINDS: ReadonlySet<Command['kind']> = new Set(['play', 'pause', 'seek', 'rate'])

/** Which playlist item (and file) a timeline belongs to; '' when there is no playlist. */
const itemKey = v.pipe(v.string(), v.maxLength(256))
const envelope = v.object({ item: v.optional(itemKey), frame: v.optional(PeerId) })
const snapshotShape = v.object({ frame: PeerId, item: itemKey, state: v.unknown() })

export interface PlaybackBody {
  message: SyncMessage
  /** commands and state: the item they belong to */
  item: string
  /** commands and state: the member whose clock their times are in; null when not given */
  frame: string | null
}

/** Validates a feature body: a sync message, plus `item` and `frame` for commands and state. */
export function parsePlaybackBody(raw: unknown): WireResult<PlaybackBody> {
  const message = parseSyncMessage(raw)
  if (!message.ok) return message
  const extra = parseWith(envelope, raw)
  if (!extra.ok) return extra
  return ok({ message: message.value, item: extra.value.item ?? '', frame: extra.value.frame ?? null })
}

/** What a newcomer gets in the room snapshot: the current item's log, in the sender's frame. */
export interface PlaybackSnapshot {
  frame: string
  item: string
  state: StateMessage
}

export function parsePlaybackSnapshot(raw: unknown): WireResult<PlaybackSnapshot> {
  if (typeof raw !== 'object' || raw === null) return fail('ERR_NOT_OBJECT', 'snapshot: expected an object')
  const shape = parseWith(snapshotShape, raw)
  if (!shape.ok) return shape
  const state = parseSyncMessage(shape.value.state)
  if (!state.ok) return state
  if (state.value.type !== 'sync/state') return fail('ERR_INVALID', 'state: expected sync/state')
  return ok({ frame: shape.value.frame, item: shape.value.item, state: state.value })
}

export function isEmptyLog(log: PlaybackLog): boolean {
  return log.base.stamp === null && log.commands.length === 0
}

/**
 * Nobody has played, paused, sought or changed the speed of this item yet. Holds and releases do not count:
 * they follow from members' buffers (a member still loading a big file may hold the room before it ever
 * started), not from a person.
 */
export function untouchedByPeople(log: PlaybackLog): boolean {
  return log.base.stamp === null && !log.commands.some((c) => CONTROL_KINDS.has(c.kind))
}

/**
 * Merges another member's log into ours: the newer base wins (a base is a fold of everything up to its
 * stamp), then every command of both is folded over it. The result does not depend on which came first.
 */
export function mergeLogs(
  log: PlaybackLog,
  base: PlaybackLog['base'],
  commands: readonly Command[],
): PlaybackLog {
  const ours = log.base.stamp
  const theirs = base.stamp
  const newer = theirs && (!ours || compareStamps(theirs, ours) > 0) ? base : log.base
  return [...log.commands, ...commands].reduce(addCommand, createLog(newer))
}

/** The same log with every shared time moved by `deltaMs` (another member's clock became the frame). */
export function rebaseLog(log: PlaybackLog, deltaMs: number): PlaybackLog {
  if (deltaMs === 0) return log
  const base = rebaseTimeline(log.base, deltaMs)
  const commands = log.commands.map((c) => ({ ...c, effectiveAt: c.effectiveAt + deltaMs }))
  return commands.reduce(addCommand, createLog(base))
}

/** A command moved between frames. */
export function rebaseCommand(command: Command, deltaMs: number): Command {
  return deltaMs === 0 ? command : { ...command, effectiveAt: command.effectiveAt + deltaMs }
}

/**
 * Offset from local time to `frame`'s clock (`frame time = local + offset`): 0 for ourselves, undefined until
 * that member has been measured `CLOCK_MIN_SAMPLES` times (one sample may be a queueing spike).
 */
export function offsetTo(
  selfId: string,
  frame: string,
  estimates: ReadonlyMap<string, OffsetEstimate | undefined>,
): number | undefined {
  if (frame === selfId) return 0
  const estimate = estimates.get(frame)
  return estimate && estimate.samples >= CLOCK_MIN_SAMPLES ? estimate.offset : undefined
}

/** Shared times in frame `from` become times in frame `to` by adding this; undefined while unmeasured. */
export function frameDelta(
  selfId: string,
  from: string,
  to: string,
  estimates: ReadonlyMap<string, OffsetEstimate | undefined>,
): number | undefined {
  if (from === to) return 0
  const a = offsetTo(selfId, from, estimates)
  const b = offsetTo(selfId, to, estimates)
  return a === undefined || b === undefined ? undefined : b - a
}

/** One row of the health panel. */
export interface MemberHealth {
  id: string
  name: string
  self: boolean
  /** player − room, ms; null while unknown (no report yet, seeking, no video) */
  driftMs: number | null
  /** round trip between us and that member (for ourselves: the largest to anyone), ms */
  rttMs: number | null
  /** seconds buffered ahead of the playback position */
  bufferedAhead: number | null
  stalled: boolean
  /** the room is waiting for this member now */
  holding: boolean
  optOut: boolean
}

/** Drift as the panel shows it: whole milliseconds, or a dash. */
export function formatDrift(driftMs: number | null): string {
  if (driftMs === null || !Number.isFinite(driftMs)) return '—'
  const rounded = Math.round(driftMs)
  return `${rounded === 0 ? 0 : rounded} ms` // no "-0 ms"
}
