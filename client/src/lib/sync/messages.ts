/**
 * Playback sync's messages on the room wire, validated at the boundary: `parseSyncMessage` never throws,
 * it returns a `WireResult` (wire/result.ts): a typed message, or an error with a stable code. The playback
 * feature carries them as its bodies (all types start with `sync/`).
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'
import { fail, type WireResult } from '../wire/result.ts'
import { integer, PeerId, TimeMs } from '../wire/schemas.ts'
import type { ClockPing, ClockPong } from './clock.ts'
import type { Stamp } from './hlc.ts'
import type { Command, Timeline } from './timeline.ts'

export const SYNC_MESSAGE_TYPES = [
  'sync/ping',
  'sync/pong',
  'sync/command',
  'sync/status',
  'sync/state',
] as const
export type SyncMessageType = (typeof SYNC_MESSAGE_TYPES)[number]

/** A member's periodic report: drives holds and the health panel. */
export interface StatusReport {
  type: 'sync/status'
  /** shared ms the report describes */
  at: number
  /** media seconds */
  position: number
  bufferedAhead: number
  stalled: boolean
  /** shared ms when `stalled` last changed */
  since: number
  /** opted out of holding the room */
  optOut: boolean
  /** whether this member is currently holding the room */
  holding: boolean
  /** player − room, ms; null while unknown */
  driftMs: number | null
  /** largest round trip to the other members, ms; null while unknown */
  rttMs: number | null
  /**
   * The playlist item (feature.ts key) this member can play from the room's position, or null; a new item
   * starts once every member is (start.ts). Optional on the wire: older peers leave it out.
   */
  readyFor?: string | null | undefined
  /**
   * The length in media seconds of what this member's player holds (the item of `readyFor`), so a member
   * without a player (a remote control) can show the seek bar. Optional on the wire: older peers leave it out.
   */
  duration?: number | null | undefined
  /**
   * The held segment (`holdKey` in hold.ts) this member stands ready to resume from: paused at its position
   * with data to play. The room resumes once every member is (hold.ts). Optional on the wire.
   */
  readyAt?: string | null | undefined
}

export interface CommandMessage {
  type: 'sync/command'
  command: Command
}

/** Sent to a joining member: enough to fold the same timeline as everyone else. */
export interface StateMessage {
  type: 'sync/state'
  base: Timeline
  commands: Command[]
}

export type SyncMessage = ClockPing | ClockPong | CommandMessage | StatusReport | StateMessage

const seconds = v.pipe(v.number(), v.finite(), v.minValue(0))
/** A film's length: at most a week of media, which no file comes near. */
const MAX_DURATION_S = 7 * 24 * 3600
const messageId = integer(0)

const stamp: v.GenericSchema<Stamp> = v.object({ wall: TimeMs, counter: integer(0), peer: PeerId })

const scheduled = { stamp, effectiveAt: TimeMs }
const command: v.GenericSchema<Command> = v.variant('kind', [
  v.object({ kind: v.literal('play'), ...scheduled }),
  v.object({ kind: v.literal('pause'), position: v.optional(seconds), ...scheduled }),
  v.object({ kind: v.literal('seek'), position: seconds, ...scheduled }),
  // Out-of-range rates are clamped on apply; only garbage is rejected here.
  v.object({ kind: v.literal('rate'), rate: v.pipe(v.number(), v.finite(), v.minValue(0)), ...scheduled }),
  v.object({ kind: v.literal('hold'), ...scheduled }),
  v.object({ kind: v.literal('release'), ...scheduled }),
])

/** History before a snapshot is never needed by a joiner, so `previous` is always null on the wire. */
const timeline: v.GenericSchema<unknown, Timeline> = v.pipe(
  v.object({
    playing: v.boolean(),
    held: v.boolean(),
    position: seconds,
    rate: v.pipe(v.number(), v.finite(), v.minValue(0)),
    at: TimeMs,
    releasedAt: TimeMs,
    stamp: v.nullable(stamp),
  }),
  v.transform((t) => ({ ...t, previous: null })),
)

const schemas = {
  'sync/ping': v.object({ type: v.literal('sync/ping'), id: messageId, t0: TimeMs }),
  'sync/pong': v.object({ type: v.literal('sync/pong'), id: messageId, t0: TimeMs, t1: TimeMs, t2: TimeMs }),
  'sync/command': v.object({ type: v.literal('sync/command'), command }),
  'sync/status': v.object({
    type: v.literal('sync/status'),
    at: TimeMs,
    position: seconds,
    bufferedAhead: seconds,
    stalled: v.boolean(),
    since: TimeMs,
    optOut: v.boolean(),
    holding: v.boolean(),
    driftMs: v.nullable(TimeMs),
    rttMs: v.nullable(seconds),
    readyFor: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))),
    duration: v.optional(v.nullable(v.pipe(seconds, v.maxValue(MAX_DURATION_S)))),
    readyAt: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))),
  }),
  'sync/state': v.object({
    type: v.literal('sync/state'),
    base: timeline,
    commands: v.pipe(v.array(command), v.maxLength(1024)),
  }),
} satisfies { [K in SyncMessageType]: v.GenericSchema<unknown, Extract<SyncMessage, { type: K }>> }

function isSyncType(value: unknown): value is SyncMessageType {
  return typeof value === 'string' && (SYNC_MESSAGE_TYPES as readonly string[]).includes(value)
}

/**
 * `ERR_NOT_OBJECT` for anything but a readable object, `ERR_UNKNOWN_TYPE` for a type that is not a sync
 * message, `ERR_INVALID` naming the first bad field.
 */
export function parseSyncMessage(raw: unknown): WireResult<SyncMessage> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('ERR_NOT_OBJECT', `expected an object, got ${raw === null ? 'null' : typeof raw}`)
  }
  try {
    const type: unknown = (raw as { type?: unknown }).type
    if (!isSyncType(type)) {
      // Never stringify an arbitrary value: a hostile `toString` would throw.
      const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : typeof type
      return fail('ERR_UNKNOWN_TYPE', `unknown type ${shown}`)
    }
    return parseWith(schemas[type], raw)
  } catch {
    // Only objects built in-process (getters, proxies) get here; JSON never does. Still: never throw.
    return fail('ERR_NOT_OBJECT', 'unreadable object')
  }
}
