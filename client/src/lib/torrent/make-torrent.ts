/**
 * A `.torrent` for dropped files, built here from piece hashes computed in workers (torrent/piece-hash.ts),
 * instead of by WebTorrent's `seed` (which hashes through a stream at a tenth of the speed). The info
 * dictionary is the plain BitTorrent v1 one — `name`, `piece length`, `pieces`, and `length` (one file) or
 * `files` — so any client can read it; the info hash is SHA-1 of its bencoded bytes.
 */
import type { BDict, BValue } from '../media/bencode.ts'

/**
 * The piece length for a torrent of `length` bytes: about a thousand pieces (the rule most clients and
 * WebTorrent's create-torrent use), at least 16 KiB and at most `MAX_PIECE_LENGTH`. Smaller pieces start a
 * stream sooner: a piece can be played only once all of it is in and verified.
 */
export const MAX_PIECE_LENGTH = 1024 * 1024
const MIN_PIECE_LENGTH = 16 * 1024

export function choosePieceLength(length: number): number {
  const kib = Math.max(1, length / 1024)
  const rule = 1 << Math.floor(Math.log2(kib) + 0.5)
  return Math.min(MAX_PIECE_LENGTH, Math.max(MIN_PIECE_LENGTH, rule))
}

export interface TorrentFileSpec {
  name: string
  length: number
}

export interface MadeTorrent {
  infoHash: string
  /** the `.torrent` file */
  bytes: Uint8Array
}

/**
 * The `.torrent` of `files` (in this order, their bytes one after the other) with these piece hashes. One file
 * makes a single-file torrent named after it; several a folder named `name` (else after the first file).
 */
export async function makeTorrent(
  files: readonly TorrentFileSpec[],
  pieceLength: number,
  pieces: Uint8Array,
  { name, announce = [] }: { name?: string; announce?: readonly string[] } = {},
): Promise<MadeTorrent> {
  const [first] = files
  if (!first) throw new Error('no files')
  const info: BDict =
    files.length === 1
      ? { length: first.length, name: utf8(name ?? first.name), 'piece length': pieceLength, pieces }
      : {
          files: files.map((f) => ({ length: f.length, path: [utf8(f.name)] })),
          name: utf8(name ?? first.name.replace(/\.[^.]*$/, '')),
          'piece length': pieceLength,
          pieces,
        }
  const infoBytes = encodeBencode(info)
  const torrent: BDict = { 'created by': utf8('Theatron'), info }
  if (announce[0] !== undefined) {
    torrent.announce = utf8(announce[0])
    torrent['announce-list'] = announce.map((url) => [utf8(url)])
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', infoBytes))
  const infoHash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
  return { infoHash, bytes: encodeBencode(torrent) }
}

const encoder = new TextEncoder()

function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Bencode: integers, byte strings, lists, and dictionaries with their keys in byte order. */
export function encodeBencode(value: BValue): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = []
  write(value, parts)
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

function write(value: BValue, parts: Uint8Array[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`)
    parts.push(utf8(`i${value}e`))
  } else if (value instanceof Uint8Array) {
    parts.push(utf8(`${value.length}:`), value)
  } else if (Array.isArray(value)) {
    parts.push(utf8('l'))
    for (const item of value) write(item, parts)
    parts.push(utf8('e'))
  } else {
    parts.push(utf8('d'))
    const keys = Object.keys(value).map((key) => [key, utf8(key)] as const)
    keys.sort(([, a], [, b]) => compareBytes(a, b))
    for (const [key, bytes] of keys) {
      parts.push(utf8(`${bytes.length}:`), bytes)
      write(value[key] as BValue, parts)
    }
    parts.push(utf8('e'))
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0)
  return a.length - b.length
}
