/**
 * Outside sources in what other members share. A magnet or `.torrent` names places to fetch from besides the
 * room: trackers (`tr`, `announce`, `announce-list`), web seeds (`ws`, `url-list`) and `.torrent` locations
 * (`xs`, `as`). Fetching from them tells those hosts this browser's address and what it watches, and a
 * `.torrent` location can be anything at all; so a magnet or `.torrent` from another member is rebuilt from
 * its validated fields alone (info hash, name; trackers come from this browser's own configuration) and its
 * outside sources are kept only for the hosts the person approved. What this tab added itself is used as is.
 */
import { decodeBencode, isBytes, isDict, text, type BValue } from '../media/bencode.ts'
import { parseMagnet } from '../media/source.ts'

/** Which outside source URLs to keep; `() => false` keeps none. */
export type SourceFilter = (url: string) => boolean

export const NO_OUTSIDE_SOURCES: SourceFilter = () => false

/** A filter keeping the URLs on the approved hosts. */
export function onHosts(hosts: ReadonlySet<string>): SourceFilter {
  return (url) => {
    const host = hostOf(url)
    return host !== null && hosts.has(host)
  }
}

/** The host name of a URL; null when it has none. */
export function hostOf(url: string): string | null {
  try {
    const host = new URL(url).hostname
    return host === '' ? null : host
  } catch {
    return null
  }
}

/** The outside sources a magnet names: `tr`, `ws`, `xs` and `as` values. [] when it is not a magnet. */
export function magnetSources(magnet: string): string[] {
  const parsed = parseMagnet(magnet)
  if (!parsed.ok) return []
  const { trackers, webSeeds, exactSources } = parsed.source
  return unique([...trackers.map((t) => t.url), ...webSeeds, ...exactSources])
}

/**
 * The magnet rebuilt from its info hash and name, with only the outside sources `allow` keeps; null when it
 * is not a valid magnet.
 */
export function rebuildMagnet(magnet: string, allow: SourceFilter = NO_OUTSIDE_SOURCES): string | null {
  const parsed = parseMagnet(magnet)
  if (!parsed.ok) return null
  const { infoHash, name, trackers, webSeeds, exactSources } = parsed.source
  const parts = [`xt=urn:btih:${infoHash}`]
  if (name) parts.push(`dn=${encodeURIComponent(name)}`)
  const keep = (key: string, urls: readonly string[]) => {
    for (const url of urls) if (allow(url)) parts.push(`${key}=${encodeURIComponent(url)}`)
  }
  keep(
    'tr',
    trackers.map((t) => t.url),
  )
  keep('ws', webSeeds)
  keep('xs', exactSources)
  return `magnet:?${parts.join('&')}`
}

/** The outside sources a `.torrent` names: `announce`, `announce-list` and `url-list`. */
export function torrentFileSources(bytes: Uint8Array): string[] {
  const decoded = decodeBencode(bytes)
  if (!decoded.ok || !isDict(decoded.decoded.value)) return []
  const root = decoded.decoded.value
  return unique([...announces(root['announce'], root['announce-list']), ...texts(root['url-list'])])
}

/**
 * The `.torrent` rebuilt around its `info` dictionary, byte for byte (so its info hash is unchanged), with only
 * the trackers and web seeds `allow` keeps; everything else at the top level (comments, `httpseeds`, …) goes.
 * Null when the bytes are not a `.torrent` with an `info` dictionary.
 */
export function rebuildTorrentFile(
  bytes: Uint8Array,
  allow: SourceFilter = NO_OUTSIDE_SOURCES,
): Uint8Array | null {
  const decoded = decodeBencode(bytes)
  if (!decoded.ok) return null
  const { value: root, infoSpan } = decoded.decoded
  if (!isDict(root) || !infoSpan) return null
  const trackers = announces(root['announce'], root['announce-list']).filter(allow)
  const webSeeds = texts(root['url-list']).filter(allow)
  // Keys in sorted order, as bencode requires: announce, announce-list, info, url-list.
  const parts: (string | Uint8Array)[] = ['d']
  const [first] = trackers
  if (first !== undefined) {
    parts.push(encodeString('announce'), encodeString(first), encodeString('announce-list'), 'l')
    for (const tracker of trackers) parts.push('l', encodeString(tracker), 'e')
    parts.push('e')
  }
  parts.push(encodeString('info'), bytes.subarray(infoSpan[0], infoSpan[1]))
  if (webSeeds.length > 0) {
    parts.push(encodeString('url-list'), 'l', ...webSeeds.map(encodeString), 'e')
  }
  parts.push('e')
  return concat(parts)
}

const utf8 = new TextEncoder()

function encodeString(value: string): string {
  return `${utf8.encode(value).length}:${value}`
}

function concat(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? utf8.encode(part) : part))
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

function announces(announce: BValue | undefined, list: BValue | undefined): string[] {
  const tiers = Array.isArray(list) ? list.flatMap((tier) => texts(tier)) : []
  return unique([...texts(announce), ...tiers])
}

/** A byte string or a list of them, as text. */
function texts(value: BValue | undefined): string[] {
  if (isBytes(value)) return [text(value) ?? '']
  if (!Array.isArray(value)) return []
  return value.flatMap((item) => (isBytes(item) ? [text(item) ?? ''] : []))
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))]
}
