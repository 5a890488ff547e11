import { describe, expect, it } from 'vitest'
import { parseTorrentFile } from '../../src/lib/media/source.ts'
import {
  magnetSources,
  onHosts,
  rebuildMagnet,
  rebuildTorrentFile,
  torrentFileSources,
} from '../../src/lib/torrent/sources.ts'
import { bencode, sha1Hex, singleFileInfo } from './fixture.ts'

const HASH = 'c'.repeat(40)
const hostile =
  `magnet:?xt=urn:btih:${HASH}&dn=Film` +
  '&tr=wss%3A%2F%2Ftracker.evil.example%2Fannounce' +
  '&ws=https%3A%2F%2Fseed.evil.example%2Ffilm.webm' +
  '&xs=https%3A%2F%2Fxs.evil.example%2Ffilm.torrent' +
  '&as=https%3A%2F%2Fas.evil.example%2Ffilm.torrent'

describe('a magnet from another member', () => {
  it('names its outside sources', () => {
    expect(magnetSources(hostile)).toEqual([
      'wss://tracker.evil.example/announce',
      'https://seed.evil.example/film.webm',
      'https://xs.evil.example/film.torrent',
      'https://as.evil.example/film.torrent',
    ])
  })

  it('is rebuilt from its info hash and name alone: no tr, ws, xs or as', () => {
    expect(rebuildMagnet(hostile)).toBe(`magnet:?xt=urn:btih:${HASH}&dn=Film`)
    expect(rebuildMagnet('not a magnet')).toBeNull()
  })

  it('keeps the sources on the hosts the person approved', () => {
    const all = onHosts(
      new Set(['tracker.evil.example', 'seed.evil.example', 'xs.evil.example', 'as.evil.example']),
    )
    const rebuilt = rebuildMagnet(hostile, all)!
    expect(magnetSources(rebuilt)).toEqual(magnetSources(hostile))
    const some = rebuildMagnet(hostile, onHosts(new Set(['seed.evil.example'])))
    expect(some).toBe(`magnet:?xt=urn:btih:${HASH}&dn=Film&ws=https%3A%2F%2Fseed.evil.example%2Ffilm.webm`)
  })
})

describe('a .torrent from another member', () => {
  const info = singleFileInfo('film.webm')
  const bytes = bencode({
    announce: 'wss://tracker.evil.example/announce',
    'announce-list': [['wss://tracker.evil.example/announce'], ['https://other.evil.example/announce']],
    comment: 'hello',
    info,
    'url-list': ['https://seed.evil.example/film.webm'],
  })
  const infoHash = sha1Hex(bencode(info))

  it('names its outside sources', () => {
    expect(torrentFileSources(bytes)).toEqual([
      'wss://tracker.evil.example/announce',
      'https://other.evil.example/announce',
      'https://seed.evil.example/film.webm',
    ])
  })

  it('is rebuilt around its info dictionary alone: same info hash, no announce or url-list', async () => {
    const rebuilt = rebuildTorrentFile(bytes)!
    expect(new Uint8Array(rebuilt)).toEqual(new Uint8Array(bencode({ info })))
    expect(torrentFileSources(rebuilt)).toEqual([])
    const parsed = await parseTorrentFile(rebuilt)
    expect(parsed.ok && parsed.source.infoHash).toBe(infoHash)
    expect(rebuildTorrentFile(new TextEncoder().encode('<html>'))).toBeNull()
  })

  it('keeps the trackers and web seeds on the hosts the person approved', async () => {
    const approved = onHosts(new Set(['tracker.evil.example', 'other.evil.example', 'seed.evil.example']))
    const rebuilt = rebuildTorrentFile(bytes, approved)!
    expect(torrentFileSources(rebuilt)).toEqual(torrentFileSources(bytes))
    const parsed = await parseTorrentFile(rebuilt)
    expect(parsed.ok && parsed.source.infoHash).toBe(infoHash)
    expect(parsed.ok && parsed.source.webSeeds).toEqual(['https://seed.evil.example/film.webm'])
  })
})
