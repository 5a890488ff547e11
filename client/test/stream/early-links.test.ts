import { describe, expect, it } from 'vitest'
import { earlyLinks, MAX_EARLY_LINKS, type EarlyLinkState } from '../../src/lib/stream/early-links.ts'
import type { PlaylistItem } from '../../src/lib/playlist/playlist.ts'

const KEY = 'a'.repeat(40)
const HASH = 'b'.repeat(40)

const dropped = (addedBy: string, title = 'film.mp4', localKey = KEY): PlaylistItem => ({
  kind: 'local',
  id: `i-${localKey}`,
  addedBy,
  fileIndex: undefined,
  localKey,
  title,
  size: 1e9,
})

const hashed = (addedBy: string): PlaylistItem => ({
  id: 'i1',
  addedBy,
  fileIndex: undefined,
  torrentId: `magnet:?xt=urn:btih:${HASH}`,
  infoHash: HASH,
  title: 'film.mp4',
  local: { localKey: KEY, size: 1e9 },
})

function state(over: Partial<EarlyLinkState> & { had?: string[] } = {}): EarlyLinkState {
  const had = new Set(over.had ?? [])
  return {
    selfId: 'me',
    readable: (title) => title.endsWith('.mp4'),
    has: (key) => had.has(key),
    reading: null,
    ...over,
  }
}

describe('links with the owner of a dropped film, before it is selected', () => {
  it('opens one when another member’s film joins the playlist', () => {
    expect(earlyLinks([dropped('ana')], state()).open.map((i) => i.localKey)).toEqual([KEY])
  })

  it('opens none for its own film, one it already has, or one it could not read from the owner', () => {
    expect(earlyLinks([dropped('me')], state()).open).toEqual([])
    expect(earlyLinks([dropped('ana')], state({ had: [KEY] })).open).toEqual([])
    expect(earlyLinks([dropped('ana', 'film.avi')], state()).open).toEqual([])
  })

  it('opens at most MAX_EARLY_LINKS, the newest first, however many films a member adds', () => {
    const keys = ['1', '2', '3', '4'].map((d) => d.repeat(40))
    const films = keys.map((key) => dropped('mal', 'film.mp4', key))
    expect(MAX_EARLY_LINKS).toBe(2)
    expect(earlyLinks(films, state()).open.map((i) => i.localKey)).toEqual([keys[3], keys[2]])
    // Two already linked: no more.
    expect(earlyLinks(films, state({ had: [keys[3]!, keys[2]!] })).open).toEqual([])
    // The film being read does not count.
    expect(
      earlyLinks(films, state({ had: [keys[3]!, keys[0]!], reading: keys[0]! })).open.map((i) => i.localKey),
    ).toEqual([keys[2]])
  })

  it('closes it once the film has its torrent, unless the film is read from the owner or downloading', () => {
    expect(earlyLinks([hashed('ana')], state({ had: [KEY] })).close).toEqual([KEY])
    expect(earlyLinks([hashed('ana')], state({ had: [KEY], reading: KEY })).close).toEqual([])
    expect(earlyLinks([hashed('ana')], state({ had: [KEY, HASH] })).close).toEqual([])
    // Never the owner's own key: it serves the film to members who read it.
    expect(earlyLinks([hashed('me')], state({ had: [KEY] })).close).toEqual([])
    // Nothing to close when there is no link.
    expect(earlyLinks([hashed('ana')], state()).close).toEqual([])
  })
})
