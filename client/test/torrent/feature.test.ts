import { describe, expect, it } from 'vitest'
import type { FeatureHandle, FeatureHost, RoomFeature } from '../../src/lib/room/feature.ts'
import { TORRENT_FEATURE, TorrentFeature } from '../../src/lib/torrent/feature.ts'
import { HEAD_PART_BYTES } from '../../src/lib/torrent/head.ts'
import { encodeMeta } from '../../src/lib/torrent/meta.ts'
import { FakePeer, settle } from '../mesh/fakes.ts'
import { singleFileInfo, torrentBytes } from './fixture.ts'

const H1 = '1'.repeat(40)
const H2 = '2'.repeat(40)
const { bytes: raw, infoHash: REAL } = torrentBytes({ info: singleFileInfo('clip.webm') })
const META = new Uint8Array(raw)

/** Members whose `torrent` feature bodies go through JSON, in order, tagged with the sender; a log of what each sent. */
class FakeRoom {
  readonly features = new Map<string, RoomFeature>()
  readonly sent: { from: string; to: string | undefined; body: unknown }[] = []

  member(selfId: string): FeatureHost {
    return {
      selfId,
      // the torrent feature reads neither the host nor the member list
      host: null,
      memberList: [],
      canControlPlayback: () => true,
      registerFeature: (name: string, feature: RoomFeature): FeatureHandle => {
        expect(name).toBe(TORRENT_FEATURE)
        this.features.set(selfId, feature)
        return {
          send: (body, to) => {
            const wire: unknown = JSON.parse(JSON.stringify(body))
            this.sent.push({ from: selfId, to, body: wire })
            for (const [id, other] of this.features) {
              if (id !== selfId && (to === undefined || to === id))
                queueMicrotask(() => other.onMessage(selfId, wire))
            }
          },
          unregister: () => this.features.delete(selfId),
        }
      },
    }
  }
}

function side(room: FakeRoom, id: string, selected: { infoHash: string; addedBy: string } | null = null) {
  const peers: FakePeer[] = []
  const attached: string[] = []
  const feature = new TorrentFeature({
    room: room.member(id),
    client: {
      addPeer: (infoHash) => attached.push(infoHash),
      torrentFile: (infoHash) => (infoHash === REAL ? META : null),
    },
    createPeer: (initiator) => {
      const peer = new FakePeer(initiator, true)
      peers.push(peer)
      return peer
    },
    selected: () => selected,
  })
  return { feature, peers, attached }
}

const haves = (room: FakeRoom, from: string) =>
  room.sent.filter((m) => m.from === from && (m.body as { t: string }).t === 'have').map((m) => m.body)

describe('TorrentFeature', () => {
  it('announces what it has when that changes, sorted, and links members that share a torrent', async () => {
    const room = new FakeRoom()
    const a = side(room, 'a')
    const b = side(room, 'b')
    a.feature.setHave(H2, true)
    a.feature.setHave(H1, true)
    a.feature.setHave(H1, true)
    b.feature.setHave(H1, true)
    expect(haves(room, 'a')).toEqual([
      { t: 'have', have: [H2] },
      { t: 'have', have: [H1, H2] },
    ])
    expect(a.feature.has(H1) && !b.feature.has(H2)).toBe(true)
    expect(a.feature.have()).toEqual([H2, H1])
    await settle(200)
    expect(a.attached).toEqual([H1])
    expect(b.attached).toEqual([H1])

    a.feature.setHave(H2, false)
    expect(haves(room, 'a').at(-1)).toEqual({ t: 'have', have: [H1] })
    a.feature.destroy()
    b.feature.destroy()
    expect(room.features.size).toBe(0)
    expect([...a.peers, ...b.peers].every((p) => p.destroyed)).toBe(true)
  })

  it('keeps metadata a member sent only when it is for the claimed torrent', async () => {
    const room = new FakeRoom()
    const a = side(room, 'a')
    const b = side(room, 'b')
    a.feature.shareMeta(REAL, META)
    a.feature.shareMeta(H2, META) // trusted by its maker, not by others
    await settle(200)
    expect(await b.feature.meta(REAL)).toEqual(META)
    expect(await b.feature.meta(H2)).toBeNull()
    expect(await a.feature.meta(H2)).toEqual(META)
    b.feature.forgetMeta(REAL)
    expect(await b.feature.meta(REAL)).toBeNull()
    a.feature.destroy()
    b.feature.destroy()
  })

  it('sends the first pieces after the metadata, in parts; the receiver hands them to its torrent once', async () => {
    const room = new FakeRoom()
    const a = side(room, 'a')
    const b = side(room, 'b')
    const head = { first: 0, bytes: Uint8Array.from({ length: HEAD_PART_BYTES + 100 }, (_, i) => i % 253) }
    a.feature.shareMeta(REAL, META, head)
    await settle(50)
    const kinds = room.sent.map((m) => (m.body as { t: string }).t)
    expect(kinds).toEqual(['meta', 'head', 'head']) // metadata first, then the head in two parts
    expect(b.feature.takeHead(REAL)).toEqual(head)
    expect(b.feature.takeHead(REAL)).toBeNull() // once: the store holds it now
    // A member that has the torrent keeps none.
    b.feature.setHave(REAL, true)
    a.feature.shareMeta(REAL, META, head)
    await settle(50)
    expect(b.feature.takeHead(REAL)).toBeNull()
    a.feature.destroy()
    b.feature.destroy()
  })

  it('a forged copy sent first does not shut out the good copy another member sends', async () => {
    const room = new FakeRoom()
    const forger = side(room, 'f')
    const b = side(room, 'b')
    const a = side(room, 'a')
    const { bytes: other } = torrentBytes({ info: singleFileInfo('other.webm') })
    forger.feature.shareMeta(REAL, new Uint8Array(other)) // claims REAL with another file's metadata
    a.feature.shareMeta(REAL, META)
    await settle(200)
    expect(await b.feature.meta(REAL)).toEqual(META)
    for (const s of [forger, a, b]) s.feature.destroy()
  })

  it('puts the selected item’s metadata in its snapshot only when this tab added it', () => {
    const room = new FakeRoom()
    const mine = side(room, 'a', { infoHash: REAL, addedBy: 'a' })
    mine.feature.setHave(REAL, true)
    expect(room.features.get('a')!.snapshot?.()).toEqual({
      have: [REAL],
      meta: { infoHash: REAL, torrent: encodeMeta(META) },
    })
    const theirs = side(room, 'b', { infoHash: REAL, addedBy: 'a' })
    expect(room.features.get('b')!.snapshot?.()).toEqual({ have: [] })
    mine.feature.destroy()
    theirs.feature.destroy()
  })
})
