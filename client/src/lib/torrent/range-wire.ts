/**
 * The range protocol: how a member reads a dropped file from the member who dropped it while that member is
 * still hashing it (docs/streaming.md, "Streaming before the torrent exists"). It runs on a dedicated WebRTC
 * connection between the two (a torrent link keyed by the item's `local` key, torrent/links.ts), never on the
 * room's own channel, so bulk bytes do not queue in front of chat and sync messages.
 *
 *   requester → owner, JSON    {"t": "get", "id", "file", "start", "end"}   bytes [start, end) of file `file`
 *   requester → owner, JSON    {"t": "cancel", "id"}                      the read moved on: drop that request
 *   owner → requester, binary  [0, id (u32 BE), bytes…]                   the next part of request `id`, in order
 *   owner → requester, binary  [1, id (u32 BE)]                           request `id` is complete
 *   owner → requester, binary  [2, id (u32 BE), reason (UTF-8)…]          request `id` is refused
 *
 * Each direction carries one kind of message, as binary data-channel messages (simple-peer hands text over as
 * bytes too): requests are UTF-8 JSON, answers a 5-byte header and their bytes.
 *
 * Every field is bounded: a request spans at most `MAX_REQUEST_BYTES`, a requester has at most
 * `MAX_OUTSTANDING` requests queued or running, ids are 32-bit, an answer carries at most `ANSWER_BYTES`.
 * Nothing here throws on what the other end sends.
 */
import * as v from 'valibot'
import { parseJson } from '../wire/parse.ts'
import { fail, ok, type WireResult } from '../wire/result.ts'
import { integer } from '../wire/schemas.ts'

/** The most one request may ask for: a read asks again for more as it goes. */
export const MAX_REQUEST_BYTES = 1024 * 1024
/** The bytes one answer message carries at most (Chromium sends up to 256 KiB in one data-channel message). */
export const ANSWER_BYTES = 64 * 1024
/** Requests one requester may have queued or running at its owner; more are refused. */
export const MAX_OUTSTANDING = 4
/** The largest file offset a request may name (far above any film; a safe integer). */
export const MAX_OFFSET = 2 ** 50
/** A request's text is never longer than this. */
const MAX_REQUEST_TEXT = 256
/** Files one dropped item may hold (a single file today; a few for a film with its subtitles). */
export const MAX_FILES = 64

const Id = integer(0, 2 ** 32 - 1)

const GetSchema = v.pipe(
  v.object({
    t: v.literal('get'),
    id: Id,
    file: integer(0, MAX_FILES - 1),
    start: integer(0, MAX_OFFSET),
    end: integer(1, MAX_OFFSET),
  }),
  v.check((r) => r.end > r.start && r.end - r.start <= MAX_REQUEST_BYTES, 'end: out of bounds'),
)
const CancelSchema = v.object({ t: v.literal('cancel'), id: Id })
const RequestSchema = v.variant('t', [GetSchema, CancelSchema])

export type RangeRequest = v.InferOutput<typeof RequestSchema>
export type GetRequest = Extract<RangeRequest, { t: 'get' }>

/** A requester's message, from its bytes. */
export function parseRangeRequest(raw: unknown): WireResult<RangeRequest> {
  if (!(raw instanceof Uint8Array)) return fail('ERR_NOT_OBJECT', 'a request is bytes')
  if (raw.length > MAX_REQUEST_TEXT) return fail('ERR_TOO_LARGE', 'request: too large')
  return parseJson(RequestSchema, new TextDecoder().decode(raw), MAX_REQUEST_TEXT)
}

export function encodeRequest(request: RangeRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(request))
}

const DATA = 0
const END = 1
const REFUSED = 2
/** The bytes before an answer's body: its kind and its request's id. */
export const ANSWER_HEADER = 5

export type RangeAnswer =
  | { t: 'data'; id: number; bytes: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'refused'; id: number; reason: string }

/** An owner's message, from its bytes. */
export function parseRangeAnswer(raw: unknown): WireResult<RangeAnswer> {
  if (!(raw instanceof Uint8Array)) return fail('ERR_NOT_OBJECT', 'an answer is binary')
  if (raw.length < ANSWER_HEADER) return fail('ERR_INVALID', 'answer: shorter than its header')
  if (raw.length > ANSWER_HEADER + ANSWER_BYTES) return fail('ERR_TOO_LARGE', 'answer: too large')
  const id = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(1)
  const body = raw.subarray(ANSWER_HEADER)
  switch (raw[0]) {
    case DATA:
      return body.length > 0 ? ok({ t: 'data', id, bytes: body }) : fail('ERR_INVALID', 'data: empty')
    case END:
      return body.length === 0 ? ok({ t: 'end', id }) : fail('ERR_INVALID', 'end: has a body')
    case REFUSED:
      return ok({ t: 'refused', id, reason: new TextDecoder().decode(body).slice(0, 200) })
    default:
      return fail('ERR_UNKNOWN_TYPE', `answer: unknown kind ${String(raw[0])}`)
  }
}

export function encodeAnswer(answer: RangeAnswer): Uint8Array {
  const body =
    answer.t === 'data'
      ? answer.bytes
      : answer.t === 'refused'
        ? new TextEncoder().encode(answer.reason.slice(0, 200))
        : new Uint8Array(0)
  const out = new Uint8Array(ANSWER_HEADER + body.length)
  writeHeader(out, answer.t === 'data' ? DATA : answer.t === 'end' ? END : REFUSED, answer.id)
  out.set(body, ANSWER_HEADER)
  return out
}

/**
 * Makes `message`'s first `ANSWER_HEADER` bytes a data answer's header for request `id`: its body, the bytes
 * after them, is already in place (the owner reads the file straight into its answers, torrent/range-server.ts).
 */
export function writeDataHeader(message: Uint8Array, id: number): void {
  writeHeader(message, DATA, id)
}

function writeHeader(message: Uint8Array, kind: number, id: number): void {
  message[0] = kind
  new DataView(message.buffer, message.byteOffset, ANSWER_HEADER).setUint32(1, id)
}
