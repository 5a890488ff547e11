/**
 * Torrent metadata shared inside the room. The member who adds a local file (or a `.torrent` file) already has
 * the torrent's metadata; it sends the `.torrent` bytes over the room channel with the playlist item, so the
 * others start with the file list and piece hashes instead of fetching them with BitTorrent's ut_metadata over
 * a link that is still connecting (docs/streaming.md).
 *
 * Nothing is trusted: bytes from a member are kept only when their info dictionary hashes to the info hash
 * they claim (a member could otherwise swap the file of every viewer). Size and count are bounded.
 */
import { parseTorrentFile } from '../media/source.ts'

/** `.torrent` bytes larger than this are not shared (ut_metadata still works): a 2 GB film with 1 MiB
 *  pieces is ≈ 40 KiB; the room's messages are bounded at 1 MB. */
export const MAX_META_BYTES = 512 * 1024
/** Torrents whose metadata is kept at once, oldest dropped first; bounds what members can make us hold. */
export const MAX_METAS = 16

/** Base64 of bytes, for JSON room messages. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/** The length of base64 text for `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4

/** Null for anything that isn't base64 of at most `maxBytes`. */
export function decodeBase64(text: string, maxBytes: number): Uint8Array | null {
  if (text.length > base64Length(maxBytes)) return null
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

export const encodeMeta = encodeBase64

/** Null for anything that isn't base64 of at most MAX_META_BYTES. */
export function decodeMeta(text: string): Uint8Array | null {
  return decodeBase64(text, MAX_META_BYTES)
}

/** Whether `bytes` is a `.torrent` file for `infoHash` (its info dictionary's SHA-1). */
export async function isMetaFor(infoHash: string, bytes: Uint8Array): Promise<boolean> {
  const parsed = await parseTorrentFile(bytes)
  return parsed.ok && parsed.source.infoHash === infoHash
}

export class MetaCache {
  readonly #entries = new Map<string, Promise<Uint8Array | null>>()
  readonly #verify: (infoHash: string, bytes: Uint8Array) => Promise<boolean>

  constructor(verify: (infoHash: string, bytes: Uint8Array) => Promise<boolean> = isMetaFor) {
    this.#verify = verify
  }

  /** Bytes this tab made or opened itself (a seed, a dropped `.torrent`): trusted. */
  set(infoHash: string, bytes: Uint8Array): void {
    if (bytes.length > MAX_META_BYTES) return
    this.#put(infoHash, Promise.resolve(bytes))
  }

  /**
   * Bytes a member sent: kept once verified; the first good copy wins. A copy is checked only when no good
   * one came before it, so a forged first copy doesn't shut out a good later one, and duplicates cost nothing.
   */
  offer(infoHash: string, bytes: Uint8Array): void {
    if (bytes.length > MAX_META_BYTES) return
    const known = this.#entries.get(infoHash)
    const verify = () =>
      this.#verify(infoHash, bytes).then(
        (ok) => (ok ? bytes : null),
        () => null,
      )
    this.#put(infoHash, known ? known.then((had) => had ?? verify()) : verify())
  }

  /** The verified bytes, waiting for a check still running; null when there are none. */
  async get(infoHash: string): Promise<Uint8Array | null> {
    return (await this.#entries.get(infoHash)) ?? null
  }

  has(infoHash: string): boolean {
    return this.#entries.has(infoHash)
  }

  /** Forget a torrent (it left the playlist). */
  delete(infoHash: string): void {
    this.#entries.delete(infoHash)
  }

  get size(): number {
    return this.#entries.size
  }

  #put(infoHash: string, entry: Promise<Uint8Array | null>): void {
    setNewest(this.#entries, infoHash, entry)
  }
}

/** Sets `key` as the most recent entry of `map` (insertion order), dropping the oldest beyond `max`. */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max = MAX_METAS): void {
  map.delete(key)
  map.set(key, value)
  for (const old of map.keys()) {
    if (map.size <= max) break
    map.delete(old)
  }
}
