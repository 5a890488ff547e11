/**
 * The first pieces of a file ride with its playlist item. A member who drops a video has every byte; the
 * others start the torrent when the item reaches them and only then meet the adder on the torrent link: a
 * handshake, the member's pieces and unchoke, a request and the piece — two round trips through both pages
 * before the player has a byte, on pages busy starting a video (more over the internet). So the adder sends the
 * pieces that hold the start of the file right after the item's `.torrent` (torrent/wire.ts `head`, in parts
 * of at most `HEAD_PART_BYTES`, so other room messages are not held up behind one large one), and a receiver
 * puts them in the torrent's store before WebTorrent opens it; WebTorrent checks every
 * piece already in a store against its SHA-1 when a torrent starts, so only true pieces count and a forged
 * one is fetched again.
 *
 * Only whole pieces (WebTorrent verifies whole pieces), at most `HEAD_MAX_BYTES`, aiming at the first
 * `HEAD_TARGET_BYTES` of the file: enough for a typical web video to start playing, where a smaller head gives
 * the player its codecs and first frame but not enough to play (docs/streaming.md). With pieces larger than
 * that, the head is the one piece that holds the file's start (a 1 GB film: 1 MiB); a torrent whose pieces are
 * larger than `HEAD_MAX_BYTES` sends none.
 */

/** How much of the file's start the head aims to hold. */
export const HEAD_TARGET_BYTES = 192 * 1024
/**
 * The most a head may carry (whole pieces): one piece of up to 4 MiB, the largest piece length in common
 * use, so a film with large pieces starts from the room's copy as a short clip does.
 */
export const HEAD_MAX_BYTES = 4 * 1024 * 1024
/** The most one room message carries of it (base64: 87 KiB). */
export const HEAD_PART_BYTES = 64 * 1024

/** The first pieces of a torrent's file: piece `first` on, consecutive. */
export interface Head {
  first: number
  bytes: Uint8Array
}

export interface TorrentLayout {
  pieceLength: number
  /** the torrent's total length in bytes */
  length: number
}

/** The pieces [first, end) and their bytes [start, stop) in the torrent. */
export interface HeadRange {
  first: number
  end: number
  start: number
  stop: number
}

/**
 * The whole pieces that hold the first `target` bytes of a file at `offset` (its byte offset in the torrent),
 * or null when they would be more than `max` bytes, or the layout makes no sense.
 */
export function headRange(
  layout: TorrentLayout,
  file: { offset: number; length: number },
  target = HEAD_TARGET_BYTES,
  max = HEAD_MAX_BYTES,
): HeadRange | null {
  const { pieceLength, length } = layout
  if (!(pieceLength > 0) || !(length > 0) || !Number.isSafeInteger(pieceLength)) return null
  if (!(file.offset >= 0) || !(file.length > 0) || file.offset + file.length > length) return null
  const first = Math.floor(file.offset / pieceLength)
  const wanted = file.offset + Math.min(target, file.length)
  const end = Math.ceil(wanted / pieceLength)
  const start = first * pieceLength
  const stop = Math.min(length, end * pieceLength)
  return stop - start > max ? null : { first, end, start, stop }
}

/**
 * A head cut into the store's chunks (piece index → bytes). Only pieces of the right length: every piece is
 * `pieceLength` long but the torrent's last; bytes past the torrent, or a ragged end, are dropped.
 */
export function headChunks(head: Head, pieceLength: number, length = Infinity): Map<number, Uint8Array> {
  const chunks = new Map<number, Uint8Array>()
  if (!(pieceLength > 0) || !Number.isSafeInteger(head.first) || head.first < 0) return chunks
  const last = lastPiece(pieceLength, length)
  for (let index = head.first, at = 0; at < head.bytes.length && index <= last; index++) {
    const size = pieceSize(index, pieceLength, length)
    if (at + size > head.bytes.length) break
    chunks.set(index, head.bytes.subarray(at, at + size))
    at += size
  }
  return chunks
}

/** One room message's share of a head: its bytes from `at` on. */
export interface HeadPart {
  first: number
  at: number
  bytes: Uint8Array
}

/** A head cut into parts of at most `HEAD_PART_BYTES`, in order. */
export function headParts(head: Head, partBytes = HEAD_PART_BYTES): HeadPart[] {
  const parts: HeadPart[] = []
  for (let at = 0; at < head.bytes.length; at += partBytes)
    parts.push({ first: head.first, at, bytes: head.bytes.subarray(at, at + partBytes) })
  return parts
}

/**
 * The head so far with the next part added. Parts come in order on one channel: a part that starts a head
 * (`at` 0) replaces what was there; one that doesn't follow on (another first piece, a gap, past
 * `HEAD_MAX_BYTES`) leaves the head as it was.
 */
export function addHeadPart(head: Head | null, part: HeadPart): Head | null {
  if (part.at === 0)
    return part.bytes.length <= HEAD_MAX_BYTES ? { first: part.first, bytes: part.bytes } : head
  if (!head || head.first !== part.first || head.bytes.length !== part.at) return head
  if (part.at + part.bytes.length > HEAD_MAX_BYTES) return head
  const bytes = new Uint8Array(part.at + part.bytes.length)
  bytes.set(head.bytes)
  bytes.set(part.bytes, part.at)
  return { first: head.first, bytes }
}

/** The index of a torrent's last piece (Infinity for an unknown length). */
function lastPiece(pieceLength: number, length: number): number {
  return Number.isFinite(length) ? Math.ceil(length / pieceLength) - 1 : Infinity
}

/** The length of piece `index`: `pieceLength`, but the torrent's last, which holds what is left. */
export function pieceSize(index: number, pieceLength: number, length = Infinity): number {
  return index === lastPiece(pieceLength, length) ? length % pieceLength || pieceLength : pieceLength
}
