import { describe, expect, it } from 'vitest'
import {
  normalizeInfoHash,
  parseDroppedFiles,
  parseMagnet,
  parseText,
  parseTorrentFile,
  type SourceResult,
} from '../../src/lib/media/source.ts'
import { bencode, multiFileInfo, PIECES, singleFileInfo, torrentBytes } from '../torrent/fixture.ts'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const BASE32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'
const SINTEL =
  'magnet:?xt=urn:btih:08ada5a07a6183aae0bc0f4e5ea6a05d6a6bbfe4&dn=Sintel&tr=udp%3A%2F%2Fexplodie.org%3A6969' +
  '&tr=wss%3A%2F%2Ftracker.webtorrent.dev&tr=wss%3A%2F%2Ftracker.webtorrent.dev' +
  '&ws=https%3A%2F%2Fwebtorrent.io%2Ftorrents%2F&xs=https%3A%2F%2Fwebtorrent.io%2Ftorrents%2Fsintel.torrent'

function ok<T>(result: { ok: true; source: T } | { ok: false; error: { code: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}`)
  return result.source
}

function errorCode(result: SourceResult | { ok: false; error: { code: string } }): string {
  return result.ok ? 'ok' : result.error.code
}

describe('parseMagnet', () => {
  it('reads info hash, name, trackers, web seeds and exact sources', () => {
    const s = ok(parseMagnet(SINTEL))
    expect(s.infoHash).toBe('08ada5a07a6183aae0bc0f4e5ea6a05d6a6bbfe4')
    expect(s.name).toBe('Sintel')
    expect(s.trackers).toEqual([
      { url: 'udp://explodie.org:6969', browserUsable: false },
      { url: 'wss://tracker.webtorrent.dev', browserUsable: true },
    ])
    expect(s.webSeeds).toEqual(['https://webtorrent.io/torrents/'])
    expect(s.exactSources).toEqual(['https://webtorrent.io/torrents/sintel.torrent'])
  })

  it('builds a canonical magnet that parses back to the same source', () => {
    const s = ok(parseMagnet(SINTEL))
    const again = ok(parseMagnet(s.magnet))
    expect(again.infoHash).toBe(s.infoHash)
    expect(again.trackers).toEqual(s.trackers)
    expect(again.name).toBe('Sintel')
  })

  it('turns a base32 info hash into lower-case hex', () => {
    expect(ok(parseMagnet(`magnet:?xt=urn:btih:${BASE32}`)).infoHash).toBe(HEX)
    expect(ok(parseMagnet(`magnet:?xt=urn:btih:${HEX.toUpperCase()}`)).infoHash).toBe(HEX)
  })

  it('accepts surrounding whitespace, upper-case scheme, numbered keys and "+" in names', () => {
    const s = ok(parseMagnet(`  MAGNET:?xt.1=urn:btih:${HEX}&dn=Big+Buck%20Bunny&tr.1=wss://t.example\n`))
    expect(s.infoHash).toBe(HEX)
    expect(s.name).toBe('Big Buck Bunny')
    expect(s.trackers).toEqual([{ url: 'wss://t.example', browserUsable: true }])
  })

  it('accepts hybrid v1+v2 magnets and reads BEP 53 file selections', () => {
    const btmh = `urn:btmh:1220${'ab'.repeat(32)}`
    const s = ok(parseMagnet(`magnet:?xt=${btmh}&xt=urn:btih:${HEX}&so=0,2,4-6,x,9999999-`))
    expect(s.infoHash).toBe(HEX)
    expect(s.selectOnly).toEqual([0, 2, 4, 5, 6])
  })

  it('drops tracker values that are not URLs or not tracker protocols', () => {
    const s = ok(
      parseMagnet(`magnet:?xt=urn:btih:${HEX}&tr=not a url&tr=ftp://x.example&tr=https://t.example/a`),
    )
    expect(s.trackers).toEqual([{ url: 'https://t.example/a', browserUsable: false }])
  })

  it('survives malformed percent escapes', () => {
    const s = ok(parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=%E0%A4%A`))
    expect(s.infoHash).toBe(HEX)
  })

  it.each([
    ['', 'not-magnet'],
    ['http://example.com/a.torrent', 'not-magnet'],
    ['magnet:?dn=nothing', 'no-info-hash'],
    ['magnet:?xt=urn:sha1:abc', 'no-info-hash'],
    [`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`, 'v2-only'],
    ['magnet:?xt=urn:btih:1234', 'bad-info-hash'],
    [`magnet:?xt=urn:btih:${HEX}z`, 'bad-info-hash'],
    [`magnet:?xt=urn:btih:${'g'.repeat(40)}`, 'bad-info-hash'],
    [`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`, 'bad-info-hash'],
    [`magnet:?xt=urn:btih:${HEX}&tr=${'a'.repeat(20_000)}`, 'too-long'],
  ])('rejects %j with %s and a readable message', (input, code) => {
    const result = parseMagnet(input)
    expect(errorCode(result)).toBe(code)
    if (!result.ok) expect(result.error.message).toMatch(/^[A-Z].*\.$/)
  })

  it('tells a person what a magnet link looks like', () => {
    const result = parseMagnet('hello')
    expect(!result.ok && result.error.message).toContain('doesn’t look like a magnet link')
  })
})

describe('parseText', () => {
  it('accepts bare info hashes in hex and base32', () => {
    expect(ok(parseText(HEX)).infoHash).toBe(HEX)
    expect(ok(parseText(` ${BASE32} `)).magnet).toBe(`magnet:?xt=urn:btih:${HEX}`)
  })

  it('explains empty input and web links', () => {
    expect(errorCode(parseText('   '))).toBe('empty')
    expect(errorCode(parseText('https://example.com/x.torrent'))).toBe('url-not-supported')
  })

  it('never throws, whatever it is given', () => {
    const junk = ['magnet:', 'magnet:?', 'magnet:?&&&', 'magnet:?xt', 'magnet:?xt=urn:btih:', '\u0000', '%%%']
    for (const input of junk) expect(() => parseText(input)).not.toThrow()
  })
})

describe('normalizeInfoHash', () => {
  it('rejects lengths and alphabets that are neither hex nor base32', () => {
    expect(normalizeInfoHash(BASE32.toLowerCase())).toBe(HEX)
    expect(normalizeInfoHash('1'.repeat(32))).toBeNull() // "1" is not base32
    expect(normalizeInfoHash(HEX.slice(1))).toBeNull()
  })
})

describe('parseTorrentFile', () => {
  it('reads a single-file torrent and hashes its info dictionary', async () => {
    const { bytes, infoHash } = torrentBytes({
      announce: 'wss://t.example',
      'url-list': 'https://seed.example/',
      info: singleFileInfo(),
    })
    const s = ok(await parseTorrentFile(bytes))
    expect(s.infoHash).toBe(infoHash)
    expect(s.name).toBe('clip.webm')
    expect(s.files).toEqual([{ path: 'clip.webm', name: 'clip.webm', length: 939_000 }])
    expect(s.trackers).toEqual([{ url: 'wss://t.example', browserUsable: true }])
    expect(s.webSeeds).toEqual(['https://seed.example/'])
    expect(ok(parseMagnet(s.magnet)).infoHash).toBe(infoHash)
  })

  it('reads multi-file torrents, announce-list tiers and utf-8 names', async () => {
    const info = { ...multiFileInfo(), 'name.utf-8': 'Séries' }
    const { bytes, infoHash } = torrentBytes({
      announce: 'udp://ignored.example:80',
      'announce-list': [['wss://a.example'], ['wss://b.example', 'wss://a.example']],
      info,
    })
    const s = ok(await parseTorrentFile(bytes))
    expect(s.infoHash).toBe(infoHash)
    expect(s.files.map((f) => f.path)).toEqual([
      'Séries/Subs/Show.en.srt',
      'Séries/Show.mkv',
      'Séries/Sample/sample.mkv',
    ])
    expect(s.length).toBe(705_001_000)
    expect(s.trackers.map((t) => t.url)).toEqual(['wss://a.example', 'wss://b.example'])
  })

  it('hashes the info bytes as written, even when keys are not in canonical order', async () => {
    const info = { pieces: PIECES, name: 'x.webm', 'piece length': 16384, length: 5 }
    const { bytes, infoHash } = torrentBytes({ info }, true)
    const canonical = torrentBytes({ info }).infoHash
    expect(infoHash).not.toBe(canonical)
    expect(ok(await parseTorrentFile(bytes)).infoHash).toBe(infoHash)
  })

  it.each([
    ['empty', new Uint8Array(), 'bad-torrent-file'],
    ['not bencode', new TextEncoder().encode('<html>'), 'bad-torrent-file'],
    ['truncated', bencode({ info: singleFileInfo() }).slice(0, 40), 'bad-torrent-file'],
    ['trailing bytes', new Uint8Array([...bencode({ info: singleFileInfo() }), 0x78]), 'bad-torrent-file'],
    ['a list', bencode([1, 2]), 'bad-torrent-file'],
    ['no info', bencode({ announce: 'wss://x' }), 'bad-torrent-file'],
    ['no pieces', bencode({ info: { name: 'a', length: 1, 'piece length': 1 } }), 'bad-torrent-file'],
    [
      'ragged pieces',
      bencode({ info: { ...singleFileInfo(), pieces: new Uint8Array(21) } }),
      'bad-torrent-file',
    ],
    ['bad length', bencode({ info: { ...singleFileInfo(), length: 'x' } }), 'bad-torrent-file'],
    [
      'bad file',
      bencode({ info: { ...multiFileInfo(), files: [{ length: 1, path: [] }] } }),
      'bad-torrent-file',
    ],
    ['bad integer', new TextEncoder().encode('d4:infoi01ee'), 'bad-torrent-file'],
    ['deep nesting', new TextEncoder().encode('l'.repeat(10_000)), 'bad-torrent-file'],
    [
      'v2 only',
      bencode({ info: { name: 'a', 'piece length': 16384, 'file tree': {}, 'meta version': 2 } }),
      'v2-only',
    ],
    ['huge', new Uint8Array(16 * 1024 * 1024 + 1), 'too-large'],
  ])('rejects %s', async (_name, bytes, code) => {
    const result = await parseTorrentFile(bytes)
    expect(errorCode(result)).toBe(code)
    if (!result.ok) expect(result.error.message).toMatch(/torrent/)
  })

  it('keeps "__proto__" keys as plain data', async () => {
    const bytes = new TextEncoder().encode('d9:__proto__d1:ai1eee')
    expect(errorCode(await parseTorrentFile(bytes))).toBe('bad-torrent-file')
    expect(({} as Record<string, unknown>)['a']).toBeUndefined()
  })
})

describe('parseDroppedFiles', () => {
  const file = (name: string, bytes: Uint8Array = new Uint8Array(3)) =>
    new File([new Uint8Array(bytes)], name)

  it('opens a single .torrent file', async () => {
    const { bytes, infoHash } = torrentBytes({ info: singleFileInfo() })
    const s = ok(await parseDroppedFiles([file('a.torrent', bytes)]))
    expect(s.kind === 'torrent-file' && s.infoHash).toBe(infoHash)
  })

  it('seeds dropped videos, keeping subtitles beside them', async () => {
    const s = ok(await parseDroppedFiles([file('movie.webm'), file('movie.srt')]))
    expect(s.kind === 'local-files' && s.files.map((f) => f.name)).toEqual(['movie.webm', 'movie.srt'])
  })

  it('refuses files with nothing playable', async () => {
    expect(errorCode(await parseDroppedFiles([file('notes.txt')]))).toBe('nothing-playable')
    expect(errorCode(await parseDroppedFiles([file('old.avi')]))).toBe('nothing-playable')
    expect(errorCode(await parseDroppedFiles([]))).toBe('empty')
  })
})
