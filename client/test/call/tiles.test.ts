import { describe, expect, it } from 'vitest'
import { callTiles, noteSentence, tileColumns, type TileInputs } from '../../src/lib/call/tiles.ts'

const members = [
  { id: 'me', name: 'Me', transport: 'self' },
  { id: 'a', name: 'Ann', transport: 'webrtc' },
  { id: 'b', name: 'Bo', transport: 'webrtc' },
  { id: 'c', name: 'Cy', transport: 'relay' },
]

function inputs(overrides: Partial<TileInputs> = {}): TileInputs {
  return {
    selfId: 'me',
    members,
    states: new Map(),
    links: new Map(),
    speaking: new Set(),
    muted: new Set(),
    ...overrides,
  }
}

describe('callTiles', () => {
  it('nobody with a device on: no tiles', () => {
    expect(
      callTiles(inputs({ states: new Map([['a', { mic: false, cam: false, screen: false }]]) })),
    ).toEqual([])
  })

  it('a tile per member with a device on, in member order, never ourselves', () => {
    const tiles = callTiles(
      inputs({
        states: new Map([
          ['b', { mic: true, cam: false, screen: false }],
          ['a', { mic: false, cam: true, screen: false }],
          ['me', { mic: true, cam: true, screen: false }],
        ]),
        links: new Map([
          ['a', 'connected'],
          ['b', 'connected'],
        ]),
        speaking: new Set(['b']),
      }),
    )
    expect(tiles).toEqual([
      { id: 'a', name: 'Ann', video: true, audio: false, speaking: false, muted: false, note: null },
      { id: 'b', name: 'Bo', video: false, audio: true, speaking: true, muted: false, note: null },
    ])
  })

  it('nothing shows or sounds before the connection is up', () => {
    const [tile] = callTiles(inputs({ states: new Map([['a', { mic: true, cam: true, screen: false }]]) }))
    expect(tile).toMatchObject({ video: false, audio: false, speaking: false, note: null })
  })

  it('a member over the relay gets the relay note; a failed connection its own note', () => {
    const tiles = callTiles(
      inputs({
        states: new Map([
          ['a', { mic: true, cam: false, screen: false }],
          ['c', { mic: true, cam: true, screen: false }],
        ]),
        links: new Map([['a', 'failed']]),
      }),
    )
    expect(tiles.map((tile) => [tile.id, tile.note, tile.audio, tile.video])).toEqual([
      ['a', 'no-link', false, false],
      ['c', 'relay', false, false],
    ])
    expect(noteSentence('relay')).toMatch(/No voice over the relay/)
  })

  it('muted here: the tile says so and shows no speaking', () => {
    const [tile] = callTiles(
      inputs({
        states: new Map([['a', { mic: true, cam: false, screen: false }]]),
        links: new Map([['a', 'connected']]),
        speaking: new Set(['a']),
        muted: new Set(['a']),
      }),
    )
    expect(tile).toMatchObject({ muted: true, speaking: false, audio: true })
  })
})

describe('tileColumns', () => {
  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [4, 2],
    [5, 3],
    [8, 3],
  ])('%i tiles: %i columns', (count, columns) => {
    expect(tileColumns(count)).toBe(columns)
  })
})
