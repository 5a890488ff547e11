import * as v from 'valibot'
import { MAX_GRANTS } from './authority.ts'
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
 * authority statements), and each receiver checks the signatures and rules that allow them.
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

const RoomId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/))
const Term = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_GRANTS))
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))
const signed = <E extends v.ObjectEntries>(entries: E) =>
  v.object({ body: v.object(entries), pub: PublicKeyText, sig: SignatureText })

/** The host's signed state: roster in join order, removals, lock (authority.ts). */
const StateStatement = signed({
  kind: v.literal('state'),
  room: RoomId,
  term: Term,
  seq: Seq,
  members: v.pipe(v.array(PeerId), v.maxLength(64)),
  removed: v.pipe(v.array(PeerId), v.maxLength(256)),
  locked: v.boolean(),
})
const GrantStatement = v.object({
  body: v.variant('kind', [
    v.object({ kind: v.literal('genesis'), room: RoomId, term: v.literal(0), host: PeerId }),
    v.object({ kind: v.literal('handover'), room: RoomId, term: Term, host: PeerId }),
    v.object({
      kind: v.literal('succession'),
      room: RoomId,
      term: Term,
      host: PeerId,
      after: StateStatement,
    }),
  ]),
  pub: PublicKeyText,
  sig: SignatureText,
})
/** Who runs the room, as a chain of signed statements every receiver checks (authority.ts). */
const AuthorityChain = v.object({
  grants: v.pipe(v.array(GrantStatement), v.minLength(1), v.maxLength(MAX_GRANTS)),
  state: v.nullable(StateStatement),
})
const RotateStatement = signed({
  kind: v.literal('rotate'),
  room: RoomId,
  term: Term,
  from: v.pipe(v.string(), v.maxLength(128)),
  secret: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/)),
})

/**
 * What a member knows about the room, sent to every newly connected member. Host, lock and removals come
 * only in the signed `authority` chain, which the receiver checks; nothing else in a snapshot sets them.
 * Extension point: `features` maps a feature name to that feature's own snapshot (playlist,
 * playback state), validated by the feature itself (see `RoomFeature` in feature.ts).
 */
const Snapshot = v.object({
  members: v.pipe(v.array(v.object({ id: PeerId, name: Name, joinedAt: TimeMs })), v.maxLength(64)),
  authority: v.nullable(AuthorityChain),
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
  /** The sender's authority chain after a change (lock, removal, roster, hand-over, succession). */
  message('authority', { authority: AuthorityChain }),
  /** Host only, to each remaining member on its own link: the room's new link secret. */
  message('rotate', { statement: RotateStatement }),
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
