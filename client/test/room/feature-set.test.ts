import { describe, expect, it } from 'vitest'
import { FeatureSet } from '../../src/lib/room/feature-set.ts'
import type { OutgoingRoomMessage } from '../../src/lib/room/protocol.ts'
import type { RoomFeature } from '../../src/lib/room/feature.ts'
import { expectWarning } from '../console.ts'

function setup(members: string[] = ['a', 'b']) {
  const sent: [OutgoingRoomMessage, string | undefined][] = []
  const set = new FeatureSet({
    send: (message, to) => sent.push([message, to]),
    isMember: (peerId) => members.includes(peerId),
    expected: ['playlist', 'playback'],
  })
  return { set, sent }
}

/** A feature that writes down everything the room hands it. */
function recorder(snapshot?: unknown): { feature: RoomFeature; got: unknown[] } {
  const got: unknown[] = []
  const feature: RoomFeature = {
    onMessage: (from, body) => got.push(['message', from, body]),
    applySnapshot: (from, value) => got.push(['snapshot', from, value]),
    onMemberJoined: (peerId) => got.push(['joined', peerId]),
    onMemberLeft: (peerId) => got.push(['left', peerId]),
  }
  if (snapshot !== undefined) feature.snapshot = () => snapshot
  return { feature, got }
}

describe('FeatureSet', () => {
  it("routes each message to its feature, and drops those for a feature it doesn't have", () => {
    const { set } = setup()
    const playlist = recorder()
    const playback = recorder()
    set.register('playlist', playlist.feature)
    set.register('playback', playback.feature)
    set.receive('a', 'playlist', { add: 1 })
    set.receive('b', 'torrent', { have: 2 })
    expectWarning(/unknown feature torrent/)
    expect(playlist.got).toEqual([['message', 'a', { add: 1 }]])
    expect(playback.got).toEqual([])
  })

  it("sends a feature's messages under its name, to one member or to all", () => {
    const { set, sent } = setup()
    const handle = set.register('playlist', recorder().feature)
    handle.send({ x: 1 }, 'b')
    handle.send({ x: 2 })
    expect(sent).toEqual([
      [{ type: 'feature', feature: 'playlist', body: { x: 1 } }, 'b'],
      [{ type: 'feature', feature: 'playlist', body: { x: 2 } }, undefined],
    ])
  })

  it('collects the snapshots of the features that have one', () => {
    const { set } = setup()
    set.register('playlist', recorder({ items: [] }).feature)
    set.register('playback', recorder().feature)
    expect(set.snapshots()).toEqual({ playlist: { items: [] } })
  })

  it('hands a feature the snapshots that came before it registered, from members still present', () => {
    const { set } = setup(['a'])
    const early = recorder()
    set.register('playlist', early.feature)
    set.applySnapshots('a', { playlist: 1, playback: 2 })
    set.applySnapshots('b', { playback: 3 })
    expect(early.got).toEqual([['snapshot', 'a', 1]])
    const late = recorder()
    set.register('playback', late.feature)
    expect(late.got).toEqual([['snapshot', 'a', 2]])
    // handed over once: registering again finds none
    const again = recorder()
    set.register('playback', again.feature)
    expect(again.got).toEqual([])
  })

  it('drops messages and snapshots for feature names nobody registered or expects, and keeps none', () => {
    const { set } = setup()
    set.applySnapshots('a', { junk: 'x'.repeat(100), playback: 1 })
    expectWarning(/snapshot of unknown feature junk/)
    set.receive('a', 'junk', 1)
    expectWarning(/unknown feature junk/)
    const junk = recorder()
    set.register('junk', junk.feature)
    expect(junk.got).toEqual([])
    const playback = recorder()
    set.register('playback', playback.feature)
    expect(playback.got).toEqual([['snapshot', 'a', 1]])
  })

  it('tells every feature who joins and leaves', () => {
    const { set } = setup()
    const one = recorder()
    const two = recorder()
    set.register('one', one.feature)
    set.register('two', two.feature)
    set.memberJoined('a')
    set.memberLeft('b')
    for (const { got } of [one, two])
      expect(got).toEqual([
        ['joined', 'a'],
        ['left', 'b'],
      ])
  })

  it('unregisters a feature only while it is the one registered under its name', () => {
    const { set } = setup()
    const first = recorder()
    const second = recorder()
    const handle = set.register('playlist', first.feature)
    set.register('playlist', second.feature)
    handle.unregister()
    set.receive('a', 'playlist', 'still here')
    expect(second.got).toEqual([['message', 'a', 'still here']])
    expect(first.got).toEqual([])
  })

  it('lets go of every feature when cleared', () => {
    const { set } = setup()
    const { feature, got } = recorder({ s: 1 })
    set.register('playlist', feature)
    set.clear()
    set.receive('a', 'playlist', 1)
    set.memberLeft('a')
    expect(got).toEqual([])
    expect(set.snapshots()).toEqual({})
  })
})
