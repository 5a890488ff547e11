/**
 * Runtime validation of playlist ops and snapshots arriving from other peers. Types alone are not enough
 * (a cast trusts whatever a peer sends): every field is checked, sizes are bounded, an added item's
 * magnet must really carry the info hash it claims, and a link item's URL must be one a person could paste.
 *
 * The receiver must still check that `op.stamp.peer` is the peer whose channel the op arrived on; a
 * snapshot relays other peers' stamps and is trusted as a whole from a room member.
 */
import * as v from 'valibot'
import { ORDER_KEY } from './order-key.ts'
import type { PlaylistOp, PlaylistSnapshot } from './playlist.ts'
import { MAX_MAGNET_LENGTH, parseText } from '../media/source.ts'
import { isShareableUrl, MAX_URL_LENGTH } from '../media/url.ts'
import { parseWith } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'
import { InfoHash, integer, PeerId } from '../wire/schemas.ts'
import { MAX_CLOCK_OFFSET_MS } from '../wire/time.ts'

export type { WireResult }

/** Lamport counters grow by one per edit; the static bound only keeps them safe integers (see `counterCeiling`). */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER
const MAX_ENTRIES = 10_000

const ItemId = v.pipe(v.string(), v.minLength(1), v.maxLength(160))
const Key = v.pipe(v.string(), v.maxLength(512), v.regex(ORDER_KEY))
const FileIndex = integer(0, 1_000_000)
const Stamp = v.object({ counter: integer(1, MAX_COUNTER), peer: PeerId })
const Title = v.pipe(v.string(), v.maxLength(500))
const TorrentData = v.pipe(
  v.object({
    kind: v.optional(v.literal('torrent')),
    torrentId: v.pipe(v.string(), v.maxLength(MAX_MAGNET_LENGTH)),
    infoHash: InfoHash,
    title: Title,
  }),
  v.check((item) => {
    const parsed = parseText(item.torrentId)
    return parsed.ok && parsed.source.infoHash === item.infoHash
  }, 'torrentId is not a magnet link for infoHash'),
)
/** A link is held to what a person may paste (media/url.ts): http(s), bounded, no credentials, canonical. */
const UrlData = v.object({
  kind: v.literal('url'),
  url: v.pipe(
    v.string(),
    v.maxLength(MAX_URL_LENGTH),
    v.check(isShareableUrl, 'url is not an http(s) video link'),
  ),
  title: Title,
})
/**
 * A dropped file still being hashed: a random key (hex, as an info hash), its name and size; where its index
 * lies when it follows the media data (a hint the members check against the file's head).
 */
const LocalData = v.pipe(
  v.object({
    kind: v.literal('local'),
    localKey: InfoHash,
    title: Title,
    size: integer(1, 2 ** 50),
    indexAt: v.optional(integer(1, 2 ** 50)),
  }),
  v.check((item) => item.indexAt === undefined || item.indexAt < item.size, 'indexAt is not within the file'),
)
/** A member's screen: who shares it; the item the room goes back to after it. */
const ScreenData = v.object({
  kind: v.literal('screen'),
  owner: PeerId,
  title: Title,
  resume: v.optional(ItemId),
})
const ItemData = v.union([UrlData, LocalData, ScreenData, TorrentData])
const register = <T extends v.GenericSchema>(value: T) => v.object({ value, stamp: Stamp })

/** A screen is only ever added by its owner: nobody can put another member's screen on the room's stage. */
const ownScreen = (item: v.InferOutput<typeof ItemData>, stamp: v.InferOutput<typeof Stamp>) =>
  item.kind !== 'screen' || item.owner === stamp.peer

const Op = v.variant('type', [
  v.pipe(
    v.object({
      type: v.literal('add'),
      stamp: Stamp,
      id: ItemId,
      key: Key,
      item: ItemData,
      fileIndex: v.optional(FileIndex),
    }),
    v.check((op) => ownScreen(op.item, op.stamp), 'a screen item added by another member than its owner'),
  ),
  v.object({ type: v.literal('remove'), stamp: Stamp, id: ItemId }),
  v.object({ type: v.literal('move'), stamp: Stamp, id: ItemId, key: Key }),
  v.object({
    type: v.literal('select'),
    stamp: Stamp,
    id: v.nullable(ItemId),
    fileIndex: v.optional(FileIndex),
  }),
  v.object({ type: v.literal('ready'), stamp: Stamp, id: ItemId, torrent: TorrentData }),
])

const Snapshot = v.object({
  version: v.literal(1),
  clock: integer(0, MAX_COUNTER),
  selected: v.nullable(register(v.nullable(ItemId))),
  entries: v.pipe(
    v.array(
      v.object({
        id: ItemId,
        removed: v.boolean(),
        data: v.optional(
          v.pipe(
            register(ItemData),
            v.check((data) => ownScreen(data.value, data.stamp), 'a screen item stamped by another member'),
          ),
        ),
        key: v.optional(register(Key)),
        file: v.optional(register(FileIndex)),
        torrent: v.optional(register(TorrentData)),
      }),
    ),
    v.maxLength(MAX_ENTRIES),
  ),
})

// Compile-time proof that what valibot accepts is exactly what the playlist code expects.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _opMatches: Same<v.InferOutput<typeof Op>, PlaylistOp> = true
const _snapshotMatches: Same<v.InferOutput<typeof Snapshot>, PlaylistSnapshot> = true

export function parsePlaylistOp(raw: unknown): WireResult<PlaylistOp> {
  return parseWith(Op, raw)
}

export function parsePlaylistSnapshot(raw: unknown): WireResult<PlaylistSnapshot> {
  return parseWith(Snapshot, raw)
}

/**
 * The largest counter believed at wall time `now` (ms). Counters grow by one per edit, so an honest room stays
 * far below the milliseconds since 1970; a member that pushes the room's clock to the ceiling cannot freeze it
 * (an edit made after it is at most one above a ceiling that grows a thousand a second), where a fixed bound
 * would be reached once and refuse every later edit for good.
 */
export function counterCeiling(now: number): number {
  return now + MAX_CLOCK_OFFSET_MS
}

/** Null when every counter of the op is within `counterCeiling(now)`; otherwise why not. */
export function opOutOfBounds(op: PlaylistOp, now: number): string | null {
  return op.stamp.counter > counterCeiling(now) ? `counter ${op.stamp.counter} is beyond our clock` : null
}

/** Null when the snapshot's clock and every stamp in it are within `counterCeiling(now)`; otherwise why not. */
export function snapshotOutOfBounds(snapshot: PlaylistSnapshot, now: number): string | null {
  const ceiling = counterCeiling(now)
  if (snapshot.clock > ceiling) return `clock ${snapshot.clock} is beyond our clock`
  const stamps = [
    snapshot.selected?.stamp,
    ...snapshot.entries.flatMap((e) => [e.data?.stamp, e.key?.stamp, e.file?.stamp, e.torrent?.stamp]),
  ]
  return stamps.some((stamp) => stamp !== undefined && stamp.counter > ceiling)
    ? 'a stamp is beyond our clock'
    : null
}
