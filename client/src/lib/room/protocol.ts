import * as v from 'valibot'
import { MAX_NAME_LENGTH } from './identity.ts'
import { decodeJson, parseWith } from '../wire/parse.ts'
import { fail, type WireResult } from '../wire/result.ts'
import { PeerId, TimeMs } from '../wire/schemas.ts'

/**
 * The room protocol: JSON text messages between two members over their data channel (or, as a
 * fallback, over their signal-server pipe). Every message carries the protocol version; a receiver
 * validates each one at the boundary with `parseRoomMessage` and never trusts a cast.
 *
 * There is deliberately no `from` field anywhere: the sender of a message is the peer whose channel
 * it arrived on. The only peer ids inside messages name *other* members (snapshot history, host,
 * removal), and each receiver checks that the sender was allowed to say them.
 */
export const ROOM_PROTOCOL_VERSION = 1
export const MAX_CHAT_LENGTH = 2000
/** Chat messages a newcomer receives in the snapshot. */
export const CHAT_HISTORY_LIMIT = 200
/** A bound on any one message, so a misbehaving peer cannot make us parse megabytes. */
export const MAX_MESSAGE_BYTES = 1_000_000

const Name = v.pipe(v.string(), v.maxLength(MAX_NAME_LENGTH))
const ChatText = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_LENGTH))
const ShortId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/))
/** Feature names (e.g. `playlist`, `playback`) used by later layers; see RoomFeature. */
export const FeatureName = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,31}$/))
/** Features in one snapshot: the app has a handful; more is not a snapshot but a flood. */
export const MAX_SNAPSHOT_FEATURES = 16

/** How a member presents itself; sent by the member itself, so it is about the sender. */
const Presence = v.object({ name: Name, joinedAt: TimeMs })

/** base64url of an Ed25519 public key (32 bytes) and of a signature (64 bytes); checked in chat-signing.ts. */
const PublicKeyText = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/))
const SignatureText = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/))

/** A chat line in a snapshot, with its author's public key and signature (chat-signing.ts): unforgeable. */
const HistoryEntry = v.object({
  id: v.pipe(v.string(), v.maxLength(200)),
  from: PeerId,
  /** The name the author signed the line with. */
  name: Name,
  text: ChatText,
  at: TimeMs,
  pub: PublicKeyText,
  sig: SignatureText,
})
export type HistoryEntry = v.InferOutput<typeof HistoryEntry>

/**
 * What a member knows about the room, sent to every newly connected member.
 * Extension point: `features` maps a feature name to that feature's own snapshot (playlist,
 * playback state), validated by the feature itself (see `RoomFeature` in feature.ts).
 */
const Snapshot = v.object({
  members: v.pipe(v.array(v.object({ id: PeerId, name: Name, joinedAt: TimeMs })), v.maxLength(64)),
  hostId: v.nullable(PeerId),
  locked: v.boolean(),
  removed: v.pipe(v.array(PeerId), v.maxLength(256)),
  chat: v.pipe(v.array(HistoryEntry), v.maxLength(CHAT_HISTORY_LIMIT)),
  features: v.pipe(
    v.record(FeatureName, v.unknown()),
    v.check((features) => Object.keys(features).length <= MAX_SNAPSHOT_FEATURES, 'too many features'),
  ),
})
export type Snapshot = v.InferOutput<typeof Snapshot>

const message = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ v: v.literal(ROOM_PROTOCOL_VERSION), type: v.literal(type), ...entries })

export const RoomMessageSchema = v.variant('type', [
  /** First message on every new connection: who I am and what I know. */
  message('hello', { self: Presence, snapshot: Snapshot }),
  /** The sender changed its name (or moved its join time after learning the room). */
  message('presence', { self: Presence }),
  /** A chat line, signed by its author (the sender) over its id, name, text and time (chat-signing.ts). */
  message('chat', { id: ShortId, name: Name, text: ChatText, at: TimeMs, sig: SignatureText }),
  /** Host only: lock playback controls to the host. */
  message('lock', { locked: v.boolean() }),
  /** Host only: everyone drops and ignores this member. */
  message('remove', { peerId: PeerId }),
  /** Round-trip measurement; `t` is the pinger's own clock, echoed back unchanged. */
  message('ping', { t: TimeMs }),
  message('pong', { t: TimeMs }),
  /** A later layer's message (playlist, playback), validated by that feature. */
  message('feature', { feature: FeatureName, body: v.unknown() }),
])

export type RoomMessage = v.InferOutput<typeof RoomMessageSchema>
/** A message without its version, as callers write it; `encodeRoomMessage` adds the version. */
export type OutgoingRoomMessage = RoomMessage extends infer M
  ? M extends unknown
    ? Omit<M, 'v'>
    : never
  : never

/**
 * Validate anything that came off a channel; never throws. Strings are JSON-decoded first. Errors follow the
 * wire convention (wire/result.ts): `ERR_TOO_LARGE`, `ERR_NOT_JSON`, `ERR_VERSION`, `ERR_INVALID`.
 */
export function parseRoomMessage(raw: unknown): WireResult<RoomMessage> {
  let value = raw
  if (typeof raw === 'string') {
    const decoded = decodeJson(raw, MAX_MESSAGE_BYTES)
    if (!decoded.ok) return decoded
    value = decoded.value
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== ROOM_PROTOCOL_VERSION) {
    return fail('ERR_VERSION', `unsupported room protocol version ${String(value.v)}`)
  }
  return parseWith(RoomMessageSchema, value)
}

export function encodeRoomMessage(message: OutgoingRoomMessage): string {
  return JSON.stringify({ v: ROOM_PROTOCOL_VERSION, ...message })
}
