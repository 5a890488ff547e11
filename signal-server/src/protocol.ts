/**
 * The introduction wire, in both dialects:
 * - `msgpack` — @localfirst/relay 4: msgpack in binary frames,
 *   `Join|Leave {documentIds}`, heartbeat `❤️` (the published client sends `Heartbeat`; both accepted),
 *   answered with `Introduction {type, peerId, documentIds}` and nothing else (the relay client throws
 *   on any other type, so errors to it are close codes, not messages).
 * - `json` — the cevitxe seed: JSON in text frames, `Join {join}` / `Leave {leave}`, answered with
 *   `Introduction {type, id, keys}`, and `Error {code, message}` for bad input.
 * Parsing is pure: bytes in, a typed message or a ProtocolError out. It never throws.
 */
import { Unpackr, Packr } from 'msgpackr'
import * as v from 'valibot'
import { ProtocolError } from './errors.ts'
import { ID_PATTERN } from './ids.ts'

export type Dialect = 'msgpack' | 'json'

export type ClientMessage =
  { type: 'Join'; documentIds: string[] } | { type: 'Leave'; documentIds: string[] } | { type: 'Heartbeat' }

export interface Parsed {
  dialect: Dialect
  message: ClientMessage
}

/** Upper bound on ids in one message, before the per-peer cap is applied by the registry. */
export const MAX_IDS_PER_MESSAGE = 1024

// Plain maps only: no msgpackr records/structures from untrusted peers.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
const packr = new Packr({ useRecords: false })

const DocumentIds = v.pipe(
  v.array(v.string()),
  v.maxLength(MAX_IDS_PER_MESSAGE, `at most ${MAX_IDS_PER_MESSAGE} document ids per message`),
)
const HeartbeatSchema = v.object({ type: v.picklist(['Heartbeat', '❤️']) })
const MsgpackJoinLeave = v.object({ type: v.picklist(['Join', 'Leave']), documentIds: DocumentIds })
const JsonJoin = v.object({ type: v.literal('Join'), join: DocumentIds })
const JsonLeave = v.object({ type: v.literal('Leave'), leave: DocumentIds })
const Typed = v.object({ type: v.string() })

export function parseClientMessage(data: Buffer, isBinary: boolean): Parsed | ProtocolError {
  const dialect: Dialect = isBinary ? 'msgpack' : 'json'
  let raw: unknown
  try {
    raw = isBinary ? unpackr.unpack(data) : JSON.parse(data.toString('utf8'))
  } catch {
    return isBinary
      ? new ProtocolError('invalid-msgpack', 'binary frames must hold one msgpack value')
      : new ProtocolError('invalid-json', 'text frames must hold one JSON value')
  }
  const typed = v.safeParse(Typed, raw)
  if (!typed.success)
    return new ProtocolError('invalid-message', 'a message must be an object with a string `type`')
  const type = typed.output.type
  if (type === 'Heartbeat' || type === '❤️') {
    return v.is(HeartbeatSchema, raw) ? { dialect, message: { type: 'Heartbeat' } } : invalid(type)
  }
  if (type === 'Join' || type === 'Leave') {
    const documentIds = readDocumentIds(dialect, raw)
    if (documentIds instanceof ProtocolError) return documentIds
    return { dialect, message: { type, documentIds } }
  }
  return new ProtocolError('unknown-type', `unknown message type ${JSON.stringify(type.slice(0, 64))}`)
}

function readDocumentIds(dialect: Dialect, raw: unknown): string[] | ProtocolError {
  let ids: string[]
  if (dialect === 'msgpack') {
    const parsed = v.safeParse(MsgpackJoinLeave, raw)
    if (!parsed.success) return invalid((raw as { type: string }).type, 'documentIds')
    ids = parsed.output.documentIds
  } else {
    const join = v.safeParse(JsonJoin, raw)
    const leave = v.safeParse(JsonLeave, raw)
    if (join.success) ids = join.output.join
    else if (leave.success) ids = leave.output.leave
    else {
      const type = (raw as { type: string }).type
      return invalid(type, type === 'Join' ? 'join' : 'leave')
    }
  }
  const bad = ids.find((id) => !ID_PATTERN.test(id))
  if (bad !== undefined) {
    return new ProtocolError(
      'invalid-document-id',
      'document ids must be 1-128 characters of [A-Za-z0-9._~-]',
    )
  }
  return ids
}

function invalid(type: string, field?: string): ProtocolError {
  const detail = field ? `: \`${field}\` must be an array of at most ${MAX_IDS_PER_MESSAGE} strings` : ''
  return new ProtocolError('invalid-message', `malformed ${type} message${detail}`)
}

/** An Introduction in the dialect of the peer that receives it. */
export function encodeIntroduction(
  dialect: Dialect,
  peerId: string,
  documentIds: readonly string[],
): Buffer | string {
  switch (dialect) {
    case 'msgpack':
      return packr.pack({ type: 'Introduction', peerId, documentIds })
    case 'json':
      return JSON.stringify({ type: 'Introduction', id: peerId, keys: documentIds })
    default:
      return assertNever(dialect)
  }
}

/** Errors are only ever sent to JSON-dialect peers. */
export function encodeError(error: ProtocolError): string {
  return JSON.stringify({ type: 'Error', code: error.code, message: error.message })
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`)
}
