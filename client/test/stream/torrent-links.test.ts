import { describe, expect, it } from 'vitest'
import {
  RETRY_MIN_MS,
  TorrentLinks,
  wantedLinks,
  type LinkSignal,
  type TorrentPeer,
} from '../../src/lib/stream/torrent-links.ts'
import { parseTorrentMessage, parseTorrentSnapshot } from '../../src/lib/stream/torrent-wire.ts'
import type { Timers } from '../../src/lib/timers.ts'
import { FakePeer, settle } from '../room/fakes.ts'

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

/** Timers driven by hand. */
class ManualTimers implements Timers {
  now = 0
  #next = 1
  readonly pending = new Map<number, { at: number; fn: () => void }>()
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.pending.set(id, { at: this.now + ms, fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  setInterval(): unknown {
    throw new Error('not used')
  }
  clearInterval(): void {}
  advance(ms: number): void {
    this.now += ms
    for (const [id, t] of [...this.pending]) {
      if (t.at > this.now) continue
      this.pending.delete(id)
      t.fn()
    }
  }
}

interface Side {
  id: string
  links: TorrentLinks
  peers: FakePeer[]
  attached: [string, TorrentPeer][]
  timers: ManualTimers
}

/** Two or more members whose torrent signals are delivered to each other asynchronously. */
function members(...ids: string[]): Map<string, Side> {
  const sides = new Map<string, Side>()
  for (const id of ids) {
    const peers: FakePeer[] = []
    const attached: [string, TorrentPeer][] = []
    const timers = new ManualTimers()
    const links = new TorrentLinks({
      selfId: id,
      timers,
      createPeer: (initiator) => {
        const peer = new FakePeer(initiator, true)
        peers.push(peer)
        return peer
      },
      sendSignal: (to: string, signal: LinkSignal) => {
        // Through JSON and the wire parser, as over the room's data channel.
        const body: unknown = JSON.parse(JSON.stringify({ t: 'signal', ...signal }))
        queueMicrotask(() => {
          const parsed = parseTorrentMessage(body)
          if (parsed.ok && parsed.value.t === 'signal') sides.get(to)?.links.onSignal(id, parsed.value)
        })
      },
      attach: (infoHash, peer) => attached.push([infoHash, peer]),
    })
    sides.set(id, { id, links, peers, attached, timers })
  }
  return sides
}

function announce(sides: Map<string, Side>, have: Record<string, string[]>): void {
  for (const [id, hashes] of Object.entries(have)) {
    sides.get(id)!.links.setLocal(hashes)
    for (const other of sides.values()) if (other.id !== id) other.links.setRemote(id, hashes)
  }
}

describe('TorrentLinks', () => {
  it('connects every pair of members for each torrent both have, and hands each end to the torrent', async () => {
    const sides = members('a', 'b', 'c')
    announce(sides, { a: [H1], b: [H1, H2], c: [H2] })
    await settle()
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
    // Exactly one offer per link: the lower id made it.
    expect(a.peers.map((p) => p.initiator)).toEqual([true])
    expect(c.peers.map((p) => p.initiator)).toEqual([false])
  })

  it('a late joiner connects to everyone who has the torrent', async () => {
    const sides = members('b', 'c', 'a')
    announce(sides, { b: [H1], c: [H1] })
    await settle()
    announce(sides, { a: [H1] })
    await settle()
    expect(sides.get('a')!.links.links()).toEqual([`b ${H1}`, `c ${H1}`])
    expect(sides.get('a')!.peers.every((p) => p.connected)).toBe(true)
  })

  it('closes the links of a member that leaves, and of a torrent that is removed', async () => {
    const sides = members('a', 'b', 'c')
    announce(sides, { a: [H1, H2], b: [H1, H2], c: [H1] })
    await settle()
    const a = sides.get('a')!
    expect(a.links.links()).toHaveLength(3)
    a.links.removeMember('c')
    expect(a.links.links()).toEqual([`b ${H1}`, `b ${H2}`])
    a.links.setLocal([H2])
    await settle()
    expect(a.links.links()).toEqual([`b ${H2}`])
    expect(a.peers.filter((p) => !p.destroyed)).toHaveLength(1)
    // The other ends see their connection close; the answering side does not call back.
    expect(sides.get('c')!.links.links()).toEqual([`b ${H1}`])
  })

  it('drops signals for links it does not want', async () => {
    const sides = members('a', 'b')
    const b = sides.get('b')!
    b.links.setLocal([H1])
    b.links.onSignal('a', { infoHash: H1, link: 'x', signal: { type: 'offer' } }) // a never said it has H1
    b.links.setRemote('a', [H2])
    b.links.onSignal('a', { infoHash: H1, link: 'x', signal: { type: 'offer' } })
    await settle()
    expect(b.peers).toHaveLength(0)
  })

  it('the initiator retries a link that failed, after a back-off, and the other end replaces its side', async () => {
    const sides = members('a', 'b')
    announce(sides, { a: [H1], b: [H1] })
    await settle()
    const a = sides.get('a')!
    const b = sides.get('b')!
    const [first] = b.peers
    first!.destroy() // b's end dies (a network failure): both ends close
    await settle()
    expect(a.links.links()).toEqual([])
    a.timers.advance(RETRY_MIN_MS - 1)
    expect(a.peers).toHaveLength(1)
    a.timers.advance(1)
    await settle()
    expect(a.peers).toHaveLength(2)
    expect(a.links.links()).toEqual([`b ${H1}`])
    expect(b.links.links()).toEqual([`a ${H1}`])
    expect(b.peers).toHaveLength(2)
    expect(b.peers[1]!.connected).toBe(true)
  })

  it('destroy() closes every connection and cancels retries', async () => {
    const sides = members('a', 'b', 'c')
    announce(sides, { a: [H1], b: [H1], c: [H1] })
    await settle()
    const a = sides.get('a')!
    sides
      .get('b')!
      .peers.find((p) => !p.initiator)!
      .destroy() // b's end of the a–b link fails: a (the initiator) schedules a retry
    await settle()
    expect(a.timers.pending.size).toBe(1)
    a.links.destroy()
    expect(a.timers.pending.size).toBe(0)
    expect(a.peers.every((p) => p.destroyed)).toBe(true)
    expect(a.links.links()).toEqual([])
    a.links.setLocal([H1])
    expect(a.peers.filter((p) => !p.destroyed)).toHaveLength(0)
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
    expect(parseTorrentMessage({ t: 'other' }).ok).toBe(false)
  })
})
