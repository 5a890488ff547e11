import { describe, expect, it } from 'vitest'
import {
  CONNECT_TIMEOUT_MS,
  RETRY_MIN_MS,
  TorrentLinks,
  wantedLinks,
  type LinkMessage,
  type TorrentPeer,
} from '../../src/lib/torrent/links.ts'
import { HEAD_MAX_BYTES } from '../../src/lib/torrent/head.ts'
import { parseTorrentMessage, parseTorrentSnapshot } from '../../src/lib/torrent/wire.ts'
import { ManualTimers } from '../manual-timers.ts'
import { FakePeer, settle } from '../mesh/fakes.ts'
import { expectWarning } from '../console.ts'

const H1 = '1'.repeat(40)
const H2 = '2'.repeat(40)
const H3 = '3'.repeat(40)

const sets = (entries: Record<string, string[]>) =>
  new Map(Object.entries(entries).map(([id, hashes]) => [id, new Set(hashes)]))

describe('wantedLinks', () => {
  it.each<{ name: string; self: string; mine: string[]; theirs: Record<string, string[]>; want: unknown[] }>([
    {
      name: 'one link per member and torrent both have; the lower id initiates',
      self: 'b',
      mine: [H1, H2],
      theirs: { a: [H1], c: [H1, H2, H3] },
      want: [
        { peerId: 'a', infoHash: H1, initiator: false },
        { peerId: 'c', infoHash: H1, initiator: true },
        { peerId: 'c', infoHash: H2, initiator: true },
      ],
    },
    { name: 'nothing in common', self: 'a', mine: [H1], theirs: { b: [H2] }, want: [] },
    { name: 'we have nothing', self: 'a', mine: [], theirs: { b: [H1] }, want: [] },
    { name: 'never a link to ourselves', self: 'a', mine: [H1], theirs: { a: [H1] }, want: [] },
  ])('$name', ({ self, mine, theirs, want }) => {
    expect(wantedLinks(self, new Set(mine), sets(theirs))).toEqual(want)
  })

  it('the selected torrent counts as had by everyone: links for it before anyone says so', () => {
    expect(wantedLinks('b', new Set([H1]), sets({ a: [], c: [H2] }), H2)).toEqual([
      { peerId: 'a', infoHash: H2, initiator: false },
      { peerId: 'c', infoHash: H2, initiator: true },
    ])
    // Listed once when they do say so; other torrents still need both ends.
    expect(wantedLinks('a', new Set([H1, H2]), sets({ b: [H1, H2] }), H2)).toEqual([
      { peerId: 'b', infoHash: H1, initiator: true },
      { peerId: 'b', infoHash: H2, initiator: true },
    ])
    expect(wantedLinks('a', new Set([H1]), sets({ a: [H1] }), H1)).toEqual([])
  })

  it('a key with an owner links the owner with each member, never two members', () => {
    const owners = new Map([[H1, 'a']])
    // b and c both expect the item (selected) and have it: only their links with a, the owner.
    expect(wantedLinks('b', new Set([H1]), sets({ a: [H1], c: [H1] }), H1, owners)).toEqual([
      { peerId: 'a', infoHash: H1, initiator: false },
    ])
    expect(wantedLinks('a', new Set([H1]), sets({ b: [], c: [] }), H1, owners)).toEqual([
      { peerId: 'b', infoHash: H1, initiator: true },
      { peerId: 'c', infoHash: H1, initiator: true },
    ])
    // Without the owner the same sets link b and c too.
    expect(wantedLinks('b', new Set([H1]), sets({ a: [H1], c: [H1] }), H1)).toHaveLength(2)
  })

  it('both ends of every link agree on it and on who initiates', () => {
    const have = { a: [H1, H2], b: [H1], c: [H2, H3], d: [H1, H2, H3] }
    const all = sets(have)
    const seen = new Map<string, boolean[]>()
    for (const [self, mine] of all) {
      for (const link of wantedLinks(self, mine, all)) {
        const pair = [self, link.peerId].sort().join('-') + link.infoHash
        seen.set(pair, [...(seen.get(pair) ?? []), link.initiator])
      }
    }
    // a-b H1, a-c H2, a-d H1 H2, b-d H1, c-d H2 H3: each listed by both ends, one of them initiating.
    expect(seen.size).toBe(7)
    for (const initiators of seen.values()) expect(initiators.sort()).toEqual([false, true])
  })
})

interface Side {
  id: string
  links: TorrentLinks
  peers: FakePeer[]
  attached: [string, TorrentPeer][]
  timers: ManualTimers
}

/**
 * Two or more members whose torrent messages are delivered to each other asynchronously, in order.
 * `hangs(id)`: whether the next connection that member makes never connects (a path that fails silently).
 */
function members(ids: string[], hangs: (id: string) => boolean = () => false): Map<string, Side> {
  const sides = new Map<string, Side>()
  for (const id of ids) {
    const peers: FakePeer[] = []
    const attached: [string, TorrentPeer][] = []
    const timers = new ManualTimers()
    const links = new TorrentLinks({
      selfId: id,
      timers,
      createPeer: (initiator) => {
        const peer = new FakePeer(initiator, !hangs(id))
        peers.push(peer)
        return peer
      },
      send: (to: string, message: LinkMessage) => {
        // Through JSON and the wire parser, as over the room's data channel.
        const body: unknown = JSON.parse(JSON.stringify(message))
        queueMicrotask(() => {
          const parsed = parseTorrentMessage(body)
          if (!parsed.ok) throw new Error(parsed.error.message)
          const m = parsed.value
          if (m.t === 'signal' || m.t === 'assign') sides.get(to)?.links.receive(id, m)
        })
      },
      attach: (infoHash, peer) => attached.push([infoHash, peer]),
    })
    sides.set(id, { id, links, peers, attached, timers })
  }
  return sides
}

/**
 * Members announce what they have to the members in the room (all, unless `present` says who has joined).
 * As in a room, a member learns of another (its hello) before any message from it.
 */
function announce(sides: Map<string, Side>, have: Record<string, string[]>, present?: string[]): void {
  const here = [...sides.values()].filter((side) => !present || present.includes(side.id))
  for (const [id, hashes] of Object.entries(have)) {
    sides.get(id)!.links.setLocal(hashes)
    for (const other of here) if (other.id !== id) other.links.setRemote(id, hashes)
  }
}

const live = (side: Side) => side.peers.filter((p) => !p.destroyed)

/** Members a and b, both with H1, once their link over it is set up (`hangs`: as for `members`). */
async function linkedOnH1(hangs?: (id: string) => boolean): Promise<{ a: Side; b: Side }> {
  const sides = members(['a', 'b'], hangs)
  announce(sides, { a: [H1], b: [H1] })
  await settle(200)
  return { a: sides.get('a')!, b: sides.get('b')! }
}

describe('TorrentLinks', () => {
  it('in a browser without WebRTC makes no connection and throws nothing, once told', async () => {
    let tries = 0
    const links = new TorrentLinks({
      selfId: 'a',
      timers: new ManualTimers(),
      createPeer: () => {
        tries++
        throw new Error('No WebRTC support: Not a supported browser')
      },
      send: () => {},
      attach: () => {},
    })
    links.setLocal([H1])
    links.setRemote('b', [H1])
    links.setRemote('c', [H1])
    expect(links.links()).toEqual([])
    expect(tries).toBe(1)
    expectWarning(/no WebRTC, members cannot be torrent peers/)
    links.destroy()
  })

  it('connects every pair of members for each torrent both have, and hands each end to the torrent', async () => {
    const sides = members(['a', 'b', 'c'])
    announce(sides, { a: [H1], b: [H1, H2], c: [H2] })
    await settle(200)
    const a = sides.get('a')!
    const b = sides.get('b')!
    const c = sides.get('c')!
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`, `c ${H2}`])
    expect(c.links.links()).toEqual([`b ${H2}`])
    for (const side of [a, b, c]) {
      expect(side.peers.every((p) => p.connected)).toBe(true)
      expect(side.attached.map(([hash]) => hash).sort()).toEqual(
        side.links.links().map((key) => key.split(' ')[1]),
      )
    }
    // The lower id of each pair makes every offer; c only ever answers.
    expect(c.peers.every((p) => !p.initiator)).toBe(true)
  })

  it('keeps one warm spare per member, so a torrent link costs no new connection', async () => {
    const sides = members(['a', 'b'])
    announce(sides, { a: [], b: [] })
    await settle(200)
    const a = sides.get('a')!
    const b = sides.get('b')!
    expect(a.links.spares()).toEqual(['b']) // the initiator holds it…
    expect(b.links.spares()).toEqual(['a']) // …and so does the other end
    expect(a.peers).toHaveLength(1)
    const [spareA] = a.peers
    const [spareB] = b.peers
    expect(spareA!.connected && spareB!.connected).toBe(true)
    expect(a.attached).toEqual([])

    announce(sides, { a: [H1], b: [H1] })
    await settle(200)
    // The already-connected spare became the H1 link on both ends…
    expect(a.attached).toEqual([[H1, spareA]])
    expect(b.attached).toEqual([[H1, spareB]])
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
    // …and a new spare is warming up for the next torrent.
    expect(a.links.spares()).toEqual(['b'])
    expect(a.peers).toHaveLength(2)
    expect(live(a).every((p) => p.connected)).toBe(true)
  })

  it('a late joiner connects to everyone who has the torrent', async () => {
    const sides = members(['b', 'c', 'a'])
    announce(sides, { b: [H1], c: [H1] }, ['b', 'c'])
    await settle(200)
    announce(sides, { a: [], b: [H1], c: [H1] }) // the hellos when a joins
    announce(sides, { a: [H1] })
    await settle(200)
    const a = sides.get('a')!
    expect(a.links.links()).toEqual([`b ${H1}`, `c ${H1}`])
    expect(a.attached.map(([hash]) => hash)).toEqual([H1, H1])
    expect(live(a).every((p) => p.connected)).toBe(true)
  })

  it('closes the links of a member that leaves, and of a torrent that is removed', async () => {
    const sides = members(['a', 'b', 'c'])
    announce(sides, { a: [H1, H2], b: [H1, H2], c: [H1] })
    await settle(200)
    const a = sides.get('a')!
    expect(a.links.links()).toHaveLength(3)
    a.links.removeMember('c')
    expect(a.links.links()).toEqual([`b ${H1}`, `b ${H2}`])
    expect(a.links.spares()).toEqual(['b'])
    a.links.setLocal([H2])
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H2}`])
    expect(live(a)).toHaveLength(2) // the H2 link and the spare to b
    // The other ends see their connection close; the answering side does not call back.
    expect(sides.get('c')!.links.links()).toEqual([`b ${H1}`])
  })

  it('drops messages for links it does not want, and about links of other members', async () => {
    const sides = members(['a', 'b', 'c'])
    const b = sides.get('b')!
    b.links.setLocal([H1])
    b.links.receive('a', { t: 'signal', infoHash: H1, link: 'x', signal: { type: 'offer' } }) // a isn't known
    b.links.setRemote('a', [H2])
    b.links.receive('a', { t: 'signal', infoHash: H1, link: 'x', signal: { type: 'offer' } }) // a lacks H1
    b.links.receive('a', { t: 'assign', infoHash: H1, link: 'nothing' })
    await settle(200)
    expect(b.peers).toHaveLength(0)
    // c may not steer a's spare
    b.links.receive('a', { t: 'signal', link: 's', signal: { type: 'offer', from: 'nobody' } })
    const [spareFromA] = b.peers
    expect(b.links.spares()).toEqual(['a'])
    b.links.setRemote('c', [H1])
    b.links.receive('c', { t: 'assign', infoHash: H1, link: 's' })
    await settle(200)
    expect(b.attached.map(([, peer]) => peer)).not.toContain(spareFromA)
    expect(b.links.spares()).toContain('a')
  })

  it('an assignment to a torrent the other end lacks closes the spare; the initiator retries', async () => {
    const sides = members(['a', 'b'])
    announce(sides, { a: [], b: [] })
    await settle(200)
    const a = sides.get('a')!
    const b = sides.get('b')!
    // a believes b has H1, b doesn't (yet): b refuses the assignment by closing the connection.
    a.links.setLocal([H1])
    a.links.setRemote('b', [H1])
    await settle(200)
    expect(b.attached).toEqual([])
    expect(a.links.links()).toEqual([])
    expect(a.timers.pending.size).toBe(1) // the H1 link backs off
    announce(sides, { a: [H1], b: [H1] })
    a.timers.advance(RETRY_MIN_MS)
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
  })

  it('the selected torrent is linked at once: the spare goes to it before the other end has added it', async () => {
    const sides = members(['a', 'b'])
    announce(sides, { a: [H1], b: [] }) // a seeds H1; b has nothing yet
    await settle(200)
    const a = sides.get('a')!
    const b = sides.get('b')!
    const [spareB] = b.peers
    expect(a.links.links()).toEqual([])
    // H1 is selected: each end hears of it (the playlist), b has not even started to add the torrent.
    b.links.setExpected(H1)
    a.links.setExpected(H1)
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
    expect(b.attached).toEqual([[H1, spareB]]) // the torrent gets it when b adds it (TorrentClient.addPeer)
    // Another selection: b never added H1, so that link goes (a still seeds it); the new one gets a link.
    b.links.setExpected(H2)
    a.links.setExpected(H2)
    await settle(200)
    expect(b.links.links()).toEqual([`a ${H2}`])
    expect(a.links.links()).toEqual([`b ${H2}`])
    expect(spareB!.destroyed).toBe(true)
  })

  it('the initiator retries a link that failed, after a back-off, and the other end replaces its side', async () => {
    const { a, b } = await linkedOnH1()
    const link = b.attached[0]![1] as FakePeer
    link.destroy() // b's end dies (a network failure): both ends close
    await settle(200)
    expect(a.links.links()).toEqual([])
    const made = a.peers.length
    a.timers.advance(RETRY_MIN_MS - 1)
    expect(a.peers).toHaveLength(made)
    a.timers.advance(1)
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
    expect(b.attached).toHaveLength(2)
    expect((b.attached[1]![1] as FakePeer).connected).toBe(true)
  })

  it('the initiator retries a link whose connection reports a disconnect without a close', async () => {
    const { a, b } = await linkedOnH1()
    // simple-peer, when the other end closed the channel: 'disconnect', then no 'close' ever.
    const link = a.attached[0]![1] as FakePeer
    link.connected = false
    ;(link as unknown as { emit(event: string): void }).emit('disconnect')
    await settle(200)
    expect(a.links.links()).toEqual([])
    a.timers.advance(RETRY_MIN_MS)
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(a.attached).toHaveLength(2)
    expect((a.attached[1]![1] as FakePeer).connected).toBe(true)
    expect(b.links.links()).toEqual([`a ${H1}`])
    expect((b.attached.at(-1)![1] as FakePeer).connected).toBe(true)
  })

  it('a spare that never connected is not given to a torrent: the link gets a connection of its own', async () => {
    // The member's page was stalled while its spares were set up (a 1 GB file being read in): they hang.
    let hanging = true
    const sides = members(['a', 'b'], () => hanging)
    announce(sides, { a: [], b: [] })
    await settle(200)
    const a = sides.get('a')!
    const b = sides.get('b')!
    const [spare] = a.peers
    expect(spare!.connected).toBe(false)
    hanging = false
    announce(sides, { a: [H1], b: [H1] })
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(a.attached.map(([, peer]) => (peer as FakePeer).connected)).toEqual([true])
    expect(b.attached.map(([, peer]) => (peer as FakePeer).connected)).toEqual([true])
    expect(a.attached[0]![1]).not.toBe(spare)
  })

  it('a connection that does not connect in time is given up and retried by its initiator', async () => {
    let hanging = true
    const { a, b } = await linkedOnH1(() => hanging)
    expect(a.links.links()).toEqual([`b ${H1}`])
    const stuck = a.attached.map(([, peer]) => peer as FakePeer)
    expect(stuck.every((peer) => !peer.connected)).toBe(true)
    hanging = false
    a.timers.advance(CONNECT_TIMEOUT_MS)
    b.timers.advance(CONNECT_TIMEOUT_MS)
    expect(stuck.every((peer) => peer.destroyed)).toBe(true)
    a.timers.advance(RETRY_MIN_MS)
    await settle(200)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
    expect(a.attached.at(-1)![1]).toMatchObject({ connected: true })
    expect(b.attached.at(-1)![1]).toMatchObject({ connected: true })
  })

  it('destroy() closes every connection and cancels retries', async () => {
    const sides = members(['a', 'b', 'c'])
    announce(sides, { a: [H1], b: [H1], c: [H1] })
    await settle(200)
    const a = sides.get('a')!
    const ab = sides.get('b')!.attached.find(([, peer]) => !(peer as FakePeer).initiator)![1] as FakePeer
    ab.destroy() // b's end of the a–b link fails: a (the initiator) schedules a retry
    await settle(200)
    expect(a.timers.pending.size).toBe(1)
    a.links.destroy()
    expect(a.timers.pending.size).toBe(0)
    expect(a.peers.every((p) => p.destroyed)).toBe(true)
    expect(a.links.links()).toEqual([])
    expect(a.links.spares()).toEqual([])
    a.links.setLocal([H1])
    expect(live(a)).toHaveLength(0)
  })
})

describe('torrent feature wire', () => {
  it('accepts have lists and signals, rejects the rest', () => {
    expect(parseTorrentSnapshot({ have: [H1] }).ok).toBe(true)
    expect(parseTorrentSnapshot({ have: ['nope'] }).ok).toBe(false)
    expect(parseTorrentMessage({ t: 'have', have: [H1, H2] }).ok).toBe(true)
    expect(parseTorrentMessage({ t: 'have', have: Array(300).fill(H1) }).ok).toBe(false)
    expect(parseTorrentMessage({ t: 'signal', infoHash: H1, link: 'l', signal: { type: 'answer' } }).ok).toBe(
      true,
    )
    expect(parseTorrentMessage({ t: 'signal', infoHash: H1, link: 'l', signal: 'offer' }).ok).toBe(false)
    expect(parseTorrentMessage({ t: 'signal', infoHash: H1, link: '', signal: { type: 'x' } }).ok).toBe(false)
    expect(parseTorrentMessage({ t: 'signal', link: 'l', signal: { type: 'offer' } }).ok).toBe(true) // a spare
    expect(parseTorrentMessage({ t: 'assign', link: 'l', infoHash: H1 }).ok).toBe(true)
    expect(parseTorrentMessage({ t: 'assign', link: 'l' }).ok).toBe(false)
    expect(parseTorrentMessage({ t: 'meta', infoHash: H1, torrent: 'ZDQ6aW5mb2Vl' }).ok).toBe(true)
    expect(parseTorrentMessage({ t: 'meta', infoHash: H1, torrent: 'x'.repeat(800_000) }).ok).toBe(false)
    const part = { t: 'head', infoHash: H1, first: 0, at: 0, pieces: 'AAEC' }
    expect(parseTorrentMessage(part).ok).toBe(true)
    expect(parseTorrentMessage({ ...part, first: -1 }).ok).toBe(false)
    expect(parseTorrentMessage({ ...part, at: 1.5 }).ok).toBe(false)
    expect(parseTorrentMessage({ ...part, at: HEAD_MAX_BYTES }).ok).toBe(false) // past HEAD_MAX_BYTES
    expect(parseTorrentMessage({ ...part, pieces: '' }).ok).toBe(false)
    expect(parseTorrentMessage({ ...part, pieces: 'A'.repeat(90_000) }).ok).toBe(false) // > HEAD_PART_BYTES
    expect(parseTorrentMessage({ ...part, infoHash: 'nope' }).ok).toBe(false)
    expect(parseTorrentSnapshot({ have: [], meta: { infoHash: H1, torrent: 'ZA==' } }).ok).toBe(true)
    expect(parseTorrentMessage({ t: 'other' }).ok).toBe(false)
  })
})
