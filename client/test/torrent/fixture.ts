/** Builds .torrent bytes for tests: a tiny bencode encoder, independent of the decoder under test. */
import { createHash } from 'node:crypto'

export type BIn = number | string | Uint8Array | BIn[] | { [key: string]: BIn }

const enc = new TextEncoder()

/** Canonical unless `keepKeyOrder`: then dictionary keys stay in insertion order (as some clients write). */
export function bencode(value: BIn, keepKeyOrder = false): Uint8Array {
  const parts: Uint8Array[] = []
  const walk = (v: BIn): void => {
    if (typeof v === 'number') parts.push(enc.encode(`i${v}e`))
    else if (typeof v === 'string') walk(enc.encode(v))
    else if (v instanceof Uint8Array) parts.push(enc.encode(`${v.length}:`), v)
    else if (Array.isArray(v)) {
      parts.push(enc.encode('l'))
      v.forEach(walk)
      parts.push(enc.encode('e'))
    } else {
      parts.push(enc.encode('d'))
      const keys = keepKeyOrder ? Object.keys(v) : Object.keys(v).sort()
      for (const k of keys) {
        walk(k)
        walk(v[k] as BIn)
      }
      parts.push(enc.encode('e'))
    }
  }
  walk(value)
  return Buffer.concat(parts)
}

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex')
}

export const PIECES = new Uint8Array(40).fill(7)

export function singleFileInfo(name = 'clip.webm', length = 939_000): { [key: string]: BIn } {
  return { name, length, 'piece length': 16384, pieces: PIECES }
}

export function multiFileInfo(): { [key: string]: BIn } {
  return {
    name: 'Show',
    'piece length': 16384,
    pieces: PIECES,
    files: [
      { length: 1000, path: ['Subs', 'Show.en.srt'] },
      { length: 700_000_000, path: ['Show.mkv'] },
      { length: 5_000_000, path: ['Sample', 'sample.mkv'] },
    ],
  }
}

/** A .torrent and the info hash computed the way every client does: SHA-1 of the info dict's bytes. */
export function torrentBytes(root: { [key: string]: BIn }, keepKeyOrder = false) {
  const bytes = bencode(root, keepKeyOrder)
  const info = root['info']
  const infoHash = info === undefined ? '' : sha1Hex(bencode(info, keepKeyOrder))
  return { bytes, infoHash }
}
