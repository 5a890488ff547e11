/**
 * What a person pastes or drops, turned into something WebTorrent can fetch: a magnet link, a bare info
 * hash, a `.torrent` file or local video files. Every function returns a result and never throws on bad
 * input; error messages are written for the person, error codes for the code.
 */
import { decodeBencode, isBytes, isDict, text, type BDict, type BValue } from './bencode.ts'
import { isPlayableName } from './files.ts'
import { INFO_HASH_PATTERN } from '../wire/schemas.ts'

export interface Tracker {
  url: string
  /** Browsers only speak WebSocket to trackers; http(s) and udp trackers are kept but cannot be used here. */
  browserUsable: boolean
}

export interface TorrentFileEntry {
  path: string
  name: string
  length: number
}

interface SourceBase {
  /** Lower-case hex, 40 characters. */
  infoHash: string
  /** A canonical magnet for sharing with the room (hex info hash, name, trackers, web seeds). */
  magnet: string
  name: string | undefined
  trackers: Tracker[]
  webSeeds: string[]
}

export interface MagnetSource extends SourceBase {
  kind: 'magnet'
  /** `xs` (exact source: a URL of the .torrent file) and `as` (acceptable source) values, kept as given. */
  exactSources: string[]
  /** `so` (BEP 53): file indexes the link asks for, if any. */
  selectOnly: number[]
}

export interface TorrentFileSource extends SourceBase {
  kind: 'torrent-file'
  name: string
  files: TorrentFileEntry[]
  length: number
  /** The file itself, to hand to WebTorrent so it needs no metadata from peers. */
  bytes: Uint8Array
}

export interface LocalFilesSource {
  kind: 'local-files'
  /** Files to seed from this browser; the magnet is known only once WebTorrent has hashed them. */
  files: File[]
}

export type Source = MagnetSource | TorrentFileSource | LocalFilesSource

export type SourceErrorCode =
  | 'empty'
  | 'too-long'
  | 'not-magnet'
  | 'no-info-hash'
  | 'bad-info-hash'
  | 'v2-only'
  | 'url-not-supported'
  | 'bad-torrent-file'
  | 'too-large'
  | 'nothing-playable'
  | 'no-crypto'

export interface SourceError {
  code: SourceErrorCode
  message: string
}

export type SourceResult<S extends Source = Source> =
  { ok: true; source: S } | { ok: false; error: SourceError }

/** A magnet with hundreds of trackers is still far below this; anything longer is not a magnet. */
export const MAX_MAGNET_LENGTH = 16_384
/** Large multi-file torrents reach a few MB; this bounds memory spent on a file someone dropped. */
const MAX_TORRENT_FILE_BYTES = 16 * 1024 * 1024

const BASE32_32 = /^[a-z2-7]{32}$/i

function fail(code: SourceErrorCode, message: string): { ok: false; error: SourceError } {
  return { ok: false, error: { code, message } }
}

/** A pasted text: a magnet link or a bare info hash (hex or base32). */
export function parseText(input: string): SourceResult<MagnetSource> {
  const trimmed = input.trim()
  if (trimmed === '')
    return fail('empty', 'Paste a magnet link or a link to a video, or drop a .torrent file or a video.')
  if (trimmed.length > MAX_MAGNET_LENGTH) return fail('too-long', 'That is far too long to be a magnet link.')
  const hash = normalizeInfoHash(trimmed)
  if (hash) return parseMagnet(`magnet:?xt=urn:btih:${hash}`)
  if (/^https?:\/\//i.test(trimmed)) {
    return fail(
      'url-not-supported',
      'Web links can’t be opened here. If it points to a .torrent file, download it and drop it in.',
    )
  }
  return parseMagnet(trimmed)
}

export function parseMagnet(input: string): SourceResult<MagnetSource> {
  const trimmed = input.trim()
  if (trimmed.length > MAX_MAGNET_LENGTH) return fail('too-long', 'That is far too long to be a magnet link.')
  const match = /^magnet:\??(.*)$/is.exec(trimmed)
  if (!match)
    return fail('not-magnet', 'That doesn’t look like a magnet link. It should start with “magnet:?”.')
  // URLSearchParams decodes percent escapes and "+" and never throws on malformed escapes.
  const params = [...new URLSearchParams(match[1] ?? '')].map(([k, v]) => [baseKey(k), v] as const)
  const values = (key: string) => params.filter(([k]) => k === key).map(([, v]) => v.trim())

  const topics = values('xt')
  const btih = topics.filter((t) => /^urn:btih:/i.test(t)).map((t) => t.slice('urn:btih:'.length))
  if (btih.length === 0) {
    if (topics.some((t) => /^urn:btmh:/i.test(t))) {
      return fail('v2-only', 'That magnet link is for BitTorrent v2 only, which browsers can’t download yet.')
    }
    return fail(
      'no-info-hash',
      'That magnet link has no BitTorrent info hash (“xt=urn:btih:…”), so there is nothing to download.',
    )
  }
  const hashes = new Set(btih.map(normalizeInfoHash))
  const [infoHash] = hashes
  if (hashes.size !== 1 || !infoHash) {
    return fail(
      'bad-info-hash',
      'That magnet link’s info hash is damaged: it should be 40 hex characters or 32 letters and digits.',
    )
  }

  const name = values('dn').find((v) => v !== '')
  const trackers = unique(values('tr')).flatMap(toTracker)
  const webSeeds = unique(values('ws')).filter(isHttpUrl)
  const exactSources = unique([...values('xs'), ...values('as')])
  const selectOnly = values('so').flatMap(parseSelectOnly)
  const magnet = buildMagnet(infoHash, name, trackers, webSeeds)
  return {
    ok: true,
    source: { kind: 'magnet', infoHash, magnet, name, trackers, webSeeds, exactSources, selectOnly },
  }
}

/** Hex or base32 info hash → lower-case hex; null if it is neither. */
export function normalizeInfoHash(hash: string): string | null {
  const lower = hash.toLowerCase()
  if (INFO_HASH_PATTERN.test(lower)) return lower
  if (BASE32_32.test(hash)) return base32ToHex(hash)
  return null
}

/** `.torrent` file bytes. Async because the info hash is a SHA-1 taken with WebCrypto. */
export async function parseTorrentFile(bytes: Uint8Array): Promise<SourceResult<TorrentFileSource>> {
  const bad = (why: string) => fail('bad-torrent-file', `That isn’t a valid .torrent file (${why}).`)
  if (bytes.length > MAX_TORRENT_FILE_BYTES)
    return fail('too-large', 'That .torrent file is too large to open.')
  if (bytes.length === 0) return bad('it is empty')
  const decoded = decodeBencode(bytes)
  if (!decoded.ok) return bad(decoded.reason)
  const { value: root, infoSpan } = decoded.decoded
  if (!isDict(root) || !infoSpan || !isDict(root['info'])) return bad('it has no info section')
  const info = root['info']

  const name = text(info['name.utf-8'] ?? info['name'])
  const pieceLength = info['piece length']
  if (!name) return bad('it has no name')
  if (typeof pieceLength !== 'number' || pieceLength <= 0) return bad('it has no piece length')
  if (!isBytes(info['pieces'])) {
    if (info['file tree'] !== undefined) {
      return fail('v2-only', 'That .torrent file is BitTorrent v2 only, which browsers can’t download yet.')
    }
    return bad('it has no piece hashes')
  }
  if (info['pieces'].length % 20 !== 0) return bad('its piece hashes are damaged')
  const files = torrentFiles(info, name)
  if (!files) return bad('its file list is damaged')

  const subtle = globalThis.crypto?.subtle
  if (!subtle) {
    return fail('no-crypto', 'This page isn’t secure (HTTPS or localhost), so it can’t open .torrent files.')
  }
  const digest = await subtle.digest('SHA-1', bytes.slice(infoSpan[0], infoSpan[1]))
  const infoHash = toHex(new Uint8Array(digest))
  const trackers = unique(announceUrls(root)).flatMap(toTracker)
  const webSeeds = unique(listOfText(root['url-list'])).filter(isHttpUrl)
  const length = files.reduce((sum, f) => sum + f.length, 0)
  const magnet = buildMagnet(infoHash, name, trackers, webSeeds)
  return {
    ok: true,
    source: { kind: 'torrent-file', infoHash, magnet, name, trackers, webSeeds, files, length, bytes },
  }
}

/**
 * Files dropped or picked: one `.torrent` file is opened as a torrent; otherwise the playable media among
 * them is seeded from this browser (other files, such as subtitles, travel along).
 */
export async function parseDroppedFiles(files: readonly File[]): Promise<SourceResult> {
  if (files.length === 0) return fail('empty', 'Drop a video file or a .torrent file.')
  const torrents = files.filter((f) => /\.torrent$/i.test(f.name))
  const [torrent] = torrents
  if (torrent && torrents.length === files.length) {
    if (torrent.size > MAX_TORRENT_FILE_BYTES)
      return fail('too-large', 'That .torrent file is too large to open.')
    return parseTorrentFile(new Uint8Array(await torrent.arrayBuffer()))
  }
  const rest = files.filter((f) => !/\.torrent$/i.test(f.name))
  if (!rest.some((f) => isPlayableName(f.name))) {
    return fail('nothing-playable', 'None of those files is a video or audio file this app can play.')
  }
  return { ok: true, source: { kind: 'local-files', files: rest } }
}

/** Builds a magnet with the info hash in hex, so every peer shares byte-identical links for one torrent. */
function buildMagnet(
  infoHash: string,
  name: string | undefined,
  trackers: readonly Tracker[],
  webSeeds: readonly string[] = [],
): string {
  const parts = [`xt=urn:btih:${infoHash}`]
  if (name) parts.push(`dn=${encodeURIComponent(name)}`)
  for (const t of trackers) parts.push(`tr=${encodeURIComponent(t.url)}`)
  for (const w of webSeeds) parts.push(`ws=${encodeURIComponent(w)}`)
  return `magnet:?${parts.join('&')}`
}

/** "tr.1" and "xt.2" are numbered variants of "tr" and "xt" (BEP 9 allows them). */
function baseKey(key: string): string {
  return key.toLowerCase().replace(/\.\d+$/, '')
}

function toTracker(url: string): Tracker[] {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return []
  }
  const protocol = parsed.protocol
  if (!['ws:', 'wss:', 'http:', 'https:', 'udp:'].includes(protocol)) return []
  return [{ url, browserUsable: protocol === 'ws:' || protocol === 'wss:' }]
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\/\S+$/i.test(url)
}

/** BEP 53: "so=0,2,4-6". Bad parts are skipped, ranges are capped so a hostile link can't allocate much. */
function parseSelectOnly(value: string): number[] {
  const out: number[] = []
  for (const part of value.split(',')) {
    const range = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(part.trim())
    if (!range) continue
    const from = Number(range[1])
    const to = range[2] === undefined ? from : Number(range[2])
    for (let i = from; i <= to && i - from < 1000; i++) out.push(i)
  }
  return out
}

function torrentFiles(info: BDict, name: string): TorrentFileEntry[] | null {
  const list = info['files']
  if (list === undefined) {
    const length = info['length']
    return typeof length === 'number' && length >= 0 ? [{ path: name, name, length }] : null
  }
  if (!Array.isArray(list) || list.length === 0) return null
  const files: TorrentFileEntry[] = []
  for (const entry of list) {
    if (!isDict(entry)) return null
    const length = entry['length']
    const parts = listOfText(entry['path.utf-8'] ?? entry['path'])
    const last = parts[parts.length - 1]
    if (typeof length !== 'number' || length < 0 || last === undefined) return null
    files.push({ path: [name, ...parts].join('/'), name: last, length })
  }
  return files
}

function announceUrls(root: BDict): string[] {
  const tiers = root['announce-list']
  if (Array.isArray(tiers) && tiers.length > 0) return tiers.flatMap((tier) => listOfText(tier))
  return listOfText(root['announce'])
}

function listOfText(v: BValue | undefined): string[] {
  if (isBytes(v)) return v.length > 0 ? [text(v) ?? ''] : []
  if (!Array.isArray(v)) return []
  return v.flatMap((item) => (isBytes(item) ? [text(item) ?? ''] : []))
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))]
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32ToHex(value: string): string {
  let bits = 0
  let acc = 0
  let hex = ''
  for (const char of value.toLowerCase()) {
    acc = (acc << 5) | BASE32.indexOf(char)
    bits += 5
    while (bits >= 4) {
      bits -= 4
      hex += ((acc >> bits) & 0xf).toString(16)
    }
    acc &= (1 << bits) - 1
  }
  return hex
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
