/**
 * The room's `torrent` feature on the wire: which torrents a member has, and WebRTC signals for the
 * dedicated torrent connections between two members (torrent/links.ts). Validated at the boundary like every
 * room message; the sender is the channel the body arrived on, never a field.
 *
 *   snapshot (in every hello):     {"have": [infoHash, …], "meta"?: {"infoHash", "torrent"}}
 *   broadcast when that changes:   {"t": "have", "have": [infoHash, …]}
 *   to one member:                 {"t": "signal", "infoHash"?, "link", "signal": <simple-peer signal>}
 *   to one member:                 {"t": "assign", "link", "infoHash"}  (a warm spare now serves a torrent)
 *   broadcast before an item:      {"t": "meta", "infoHash", "torrent": <base64 .torrent bytes>}
 *   then, from the one who has it: {"t": "head", "infoHash", "first": <piece>, "at": <byte>, "pieces": <base64>}
 *
 * `meta` carries a torrent's metadata from the member who has it (torrent/meta.ts); the receiver checks the
 * bytes against the info hash before using them. `head` parts are the first pieces of the file to play, from
 * the member who dropped it (torrent/head.ts); WebTorrent checks each piece against its hash before it counts.
 */
import * as v from 'valibot'
import { HEAD_MAX_BYTES, HEAD_PART_BYTES } from './head.ts'
import { base64Length, MAX_META_BYTES } from './meta.ts'
import { parseWith } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'
import { InfoHash, integer } from '../wire/schemas.ts'

/** Far more torrents than a playlist holds; bounds what one message can make us track. */
export const MAX_HAVE = 256

const Link = v.pipe(v.string(), v.minLength(1), v.maxLength(64))
const Have = v.pipe(v.array(InfoHash), v.maxLength(MAX_HAVE))

const Meta = {
  infoHash: InfoHash,
  torrent: v.pipe(v.string(), v.minLength(1), v.maxLength(base64Length(MAX_META_BYTES))),
}

const HeadPart = {
  infoHash: InfoHash,
  first: integer(0, 2 ** 31 - 1),
  at: integer(0, HEAD_MAX_BYTES - 1),
  pieces: v.pipe(v.string(), v.minLength(1), v.maxLength(base64Length(HEAD_PART_BYTES))),
}

const TorrentSnapshotSchema = v.object({ have: Have, meta: v.optional(v.object(Meta)) })

const TorrentMessageSchema = v.variant('t', [
  v.object({ t: v.literal('have'), have: Have }),
  v.object({ t: v.literal('meta'), ...Meta }),
  v.object({ t: v.literal('head'), ...HeadPart }),
  v.object({ t: v.literal('assign'), link: Link, infoHash: InfoHash }),
  v.object({
    t: v.literal('signal'),
    // Absent for a warm spare not yet given to a torrent (torrent/links.ts).
    infoHash: v.optional(InfoHash),
    link: Link,
    // simple-peer's own format (offer/answer/candidate/renegotiate); simple-peer checks it further.
    signal: v.pipe(
      v.record(v.string(), v.unknown()),
      v.check((s) => typeof s['type'] === 'string' || typeof s['candidate'] === 'object', 'not a signal'),
    ),
  }),
])

export type TorrentSnapshot = v.InferOutput<typeof TorrentSnapshotSchema>
export type TorrentMessage = v.InferOutput<typeof TorrentMessageSchema>

export function parseTorrentMessage(raw: unknown): WireResult<TorrentMessage> {
  return parseWith(TorrentMessageSchema, raw)
}

export function parseTorrentSnapshot(raw: unknown): WireResult<TorrentSnapshot> {
  return parseWith(TorrentSnapshotSchema, raw)
}
