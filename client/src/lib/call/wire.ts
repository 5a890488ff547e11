/**
 * The room's `call` feature on the wire: whether a member's microphone and camera are on, and the signals of
 * the dedicated call connection between two members (call/links.ts), and whether they share their screen. Validated at the boundary like every
 * room message; the sender is the channel a body arrived on, never a field.
 *
 *   snapshot (in every hello):  {"mic": bool, "cam": bool, "screen"?: bool}
 *   broadcast when that changes: {"t": "state", "mic": bool, "cam": bool, "screen"?: bool}
 *   to one member:               {"t": "offer" | "answer", "link", "sdp"}
 *   to one member:               {"t": "ice", "link", "candidate": {"candidate", "sdpMid", "sdpMLineIndex"}}
 *
 * A call connection is negotiated exactly once (one offer, one answer): its transceivers are fixed (sound,
 * camera, screen), tracks
 * come and go with `replaceTrack`. So there is no renegotiation to flood, and links.ts drops any second
 * offer or answer.
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'
import { integer } from '../wire/schemas.ts'

/** A session description of two media sections with candidates is a few KiB; this bounds a hostile one. */
export const MAX_SDP_CHARS = 32_768

const Link = v.pipe(v.string(), v.minLength(1), v.maxLength(64))

const Candidate = v.object({
  candidate: v.pipe(v.string(), v.maxLength(1024)),
  sdpMid: v.nullish(v.pipe(v.string(), v.maxLength(16))),
  sdpMLineIndex: v.nullish(integer(0, 15)),
})

const MediaState = { mic: v.boolean(), cam: v.boolean(), screen: v.optional(v.boolean(), false) }

const CallSnapshotSchema = v.object(MediaState)

const CallMessageSchema = v.variant('t', [
  v.object({ t: v.literal('state'), ...MediaState }),
  v.object({
    t: v.picklist(['offer', 'answer']),
    link: Link,
    sdp: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SDP_CHARS)),
  }),
  v.object({ t: v.literal('ice'), link: Link, candidate: Candidate }),
])

export type MediaState = v.InferOutput<typeof CallSnapshotSchema>
export type CallMessage = v.InferOutput<typeof CallMessageSchema>
export type CandidateInit = v.InferOutput<typeof Candidate>

export const MEDIA_OFF: MediaState = { mic: false, cam: false, screen: false }

export function parseCallMessage(raw: unknown): WireResult<CallMessage> {
  return parseWith(CallMessageSchema, raw)
}

export function parseCallSnapshot(raw: unknown): WireResult<MediaState> {
  return parseWith(CallSnapshotSchema, raw)
}
