/**
 * The sync engine's messages on the room wire, validated at the boundary: `parseSyncMessage` never throws,
 * it returns either a typed message or a `SyncProtocolError` with a stable code. The room protocol embeds
 * `SyncMessage` in its own union (all types start with `sync/`).
 */
import * as v from 'valibot'
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

export type SyncErrorCode = 'SYNC_NOT_OBJECT' | 'SYNC_UNKNOWN_TYPE' | 'SYNC_INVALID_FIELD'

export interface SyncProtocolError {
  error: SyncErrorCode
  /** human-readable, for warnings; not stable */
  detail: string
}

const time = v.pipe(v.number(), v.finite())
const seconds = v.pipe(v.number(), v.finite(), v.minValue(0))
const peerId = v.pipe(v.string(), v.minLength(1), v.maxLength(128))
const messageId = v.pipe(v.number(), v.integer(), v.minValue(0))

const stamp: v.GenericSchema<Stamp> = v.object({
  wall: time,
  counter: v.pipe(v.number(), v.integer(), v.minValue(0)),
  peer: peerId,
})

const scheduled = { stamp, effectiveAt: time }
const command: v.GenericSchema<Command> = v.variant('kind', [
  v.object({ kind: v.literal('play'), ...scheduled }),
  v.object({ kind: v.literal('pause'), ...scheduled }),
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
    at: time,
    releasedAt: time,
    stamp: v.nullable(stamp),
  }),
  v.transform((t) => ({ ...t, previous: null })),
)

const schemas = {
  'sync/ping': v.object({ type: v.literal('sync/ping'), id: messageId, t0: time }),
  'sync/pong': v.object({ type: v.literal('sync/pong'), id: messageId, t0: time, t1: time, t2: time }),
  'sync/command': v.object({ type: v.literal('sync/command'), command }),
  'sync/status': v.object({
    type: v.literal('sync/status'),
    at: time,
    position: seconds,
    bufferedAhead: seconds,
    stalled: v.boolean(),
    since: time,
    optOut: v.boolean(),
    holding: v.boolean(),
    driftMs: v.nullable(time),
    rttMs: v.nullable(seconds),
    readyFor: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))),
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

export function parseSyncMessage(raw: unknown): SyncMessage | SyncProtocolError {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      error: 'SYNC_NOT_OBJECT',
      detail: `expected an object, got ${raw === null ? 'null' : typeof raw}`,
    }
  }
  try {
    const type: unknown = (raw as { type?: unknown }).type
    if (!isSyncType(type)) {
      // Never stringify an arbitrary value: a hostile `toString` would throw.
      const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : typeof type
      return { error: 'SYNC_UNKNOWN_TYPE', detail: `unknown type ${shown}` }
    }
    const result = v.safeParse(schemas[type], raw)
    if (result.success) return result.output as SyncMessage
    return { error: 'SYNC_INVALID_FIELD', detail: v.summarize(result.issues) }
  } catch {
    // Only objects built in-process (getters, proxies) get here; JSON never does. Still: never throw.
    return { error: 'SYNC_NOT_OBJECT', detail: 'unreadable object' }
  }
}

export function isSyncProtocolError(value: SyncMessage | SyncProtocolError): value is SyncProtocolError {
  return 'error' in value
}
