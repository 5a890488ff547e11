import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import {
  introductionUrl,
  jsonPeer,
  msgpackPeer,
  open,
  roundTrip,
  startServer,
  stopServers,
} from './helpers.ts'

afterEach(stopServers)

const TOKEN = 'secret-token-0123456789'

describe('introductions', () => {
  it('msgpack dialect: both peers get {type, peerId, documentIds} in a binary frame, nothing else', async () => {
    const h = await startServer()
    const alice = await msgpackPeer(h, 'alice', ['doc'])
    await roundTrip(alice)
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()])
    expect(toAlice.isBinary).toBe(true)
    expect(toBob.isBinary).toBe(true)
    const { unpack } = await import('msgpackr')
    expect(unpack(toAlice.data)).toStrictEqual({ type: 'Introduction', peerId: 'bob', documentIds: ['doc'] })
    expect(unpack(toBob.data)).toStrictEqual({ type: 'Introduction', peerId: 'alice', documentIds: ['doc'] })
  })

  it('JSON dialect: both peers get {type:"Introduction", id, keys} in a text frame', async () => {
    const h = await startServer()
    const alice = await jsonPeer(h, 'alice', ['happy-raccoon', 'qrs987'])
    await roundTrip(alice)
    const bob = await jsonPeer(h, 'bob', ['qrs987'])
    const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()])
    expect(toAlice.isBinary).toBe(false)
    expect(JSON.parse(toAlice.data.toString())).toStrictEqual({
      type: 'Introduction',
      id: 'bob',
      keys: ['qrs987'],
    })
    expect(JSON.parse(toBob.data.toString())).toStrictEqual({
      type: 'Introduction',
      id: 'alice',
      keys: ['qrs987'],
    })
  })

  it('mixed: a JSON peer and a msgpack peer in one document each get it in their own dialect', async () => {
    const h = await startServer()
    const json = await jsonPeer(h, 'json-peer', ['doc'])
    await roundTrip(json)
    const relay = await msgpackPeer(h, 'relay-peer', ['doc'])
    const [toJson, toRelay] = await Promise.all([json.next(), relay.next()])
    expect(toJson.isBinary).toBe(false)
    expect(JSON.parse(toJson.data.toString())).toStrictEqual({
      type: 'Introduction',
      id: 'relay-peer',
      keys: ['doc'],
    })
    expect(toRelay.isBinary).toBe(true)
    const { unpack } = await import('msgpackr')
    expect(unpack(toRelay.data)).toStrictEqual({
      type: 'Introduction',
      peerId: 'json-peer',
      documentIds: ['doc'],
    })
  })

  it('an introduction lists every document id the two share', async () => {
    const h = await startServer()
    const alice = await msgpackPeer(h, 'alice', ['d1', 'd2', 'd3', 'mine'])
    await roundTrip(alice)
    const bob = await msgpackPeer(h, 'bob', ['d3', 'd1'])
    await roundTrip(bob)
    bob.sendMsgpack({ type: 'Join', documentIds: ['d2', 'theirs'] })
    const first = await alice.nextMessage()
    expect((first.documentIds as string[]).sort()).toEqual(['d1', 'd3'])
    const second = await alice.nextMessage()
    expect((second.documentIds as string[]).sort()).toEqual(['d1', 'd2', 'd3'])
    expect(((await bob.nextMessage()).documentIds as string[]).sort()).toEqual(['d1', 'd3'])
    expect(((await bob.nextMessage()).documentIds as string[]).sort()).toEqual(['d1', 'd2', 'd3'])
  })

  it('peers of different documents are never introduced', async () => {
    const h = await startServer()
    const alice = await msgpackPeer(h, 'alice', ['a-doc'])
    const bob = await msgpackPeer(h, 'bob', ['b-doc'])
    const carol = await msgpackPeer(h, 'carol', ['a-doc'])
    expect((await alice.nextMessage()).peerId).toBe('carol')
    expect((await carol.nextMessage()).peerId).toBe('alice')
    await roundTrip(bob)
    expect(bob.pending).toHaveLength(0)
  })

  it('Leave: a peer that left a document is not introduced for it; others still are', async () => {
    const h = await startServer()
    const alice = await jsonPeer(h, 'alice', ['d1', 'd2'])
    alice.sendJson({ type: 'Leave', leave: ['d1'] })
    await roundTrip(alice)
    const bob = await jsonPeer(h, 'bob', ['d1'])
    await roundTrip(bob)
    expect(bob.pending).toHaveLength(0)
    bob.sendJson({ type: 'Join', join: ['d2'] })
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', id: 'alice', keys: ['d2'] })
    // msgpack Leave too
    const carol = await msgpackPeer(h, 'carol', ['d3'])
    carol.sendMsgpack({ type: 'Leave', documentIds: ['d3'] })
    await roundTrip(carol)
    const dave = await msgpackPeer(h, 'dave', ['d3'])
    await roundTrip(dave)
    expect(dave.pending).toHaveLength(0)
    expect(h.server.stats().documents).toBe(3) // d1 (bob), d2 (alice, bob), d3 (dave)
  })

  it('a closed peer is forgotten: no introductions to or about it', async () => {
    const h = await startServer()
    const alice = await msgpackPeer(h, 'alice', ['doc'])
    await roundTrip(alice)
    await alice.close()
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    await roundTrip(bob)
    expect(bob.pending).toHaveLength(0)
    expect(h.server.stats()).toMatchObject({ peers: 1, documents: 1 })
  })

  it('accepts both "Heartbeat" and "❤️" in both dialects, answering nothing', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'))
    alice.sendMsgpack({ type: 'Heartbeat' })
    alice.sendMsgpack({ type: '❤️' })
    alice.sendJson({ type: 'Heartbeat' })
    alice.sendJson({ type: '❤️' })
    await roundTrip(alice)
    expect(alice.pending).toHaveLength(0)
    expect(h.warnings).toEqual([])
  })
})

describe('duplicate peer ids', () => {
  it('the live socket answers the ping: the newcomer is closed 4409 with a reason', async () => {
    const h = await startServer({ duplicateProbeMs: 5_000 })
    const original = await msgpackPeer(h, 'alice', ['doc'])
    await roundTrip(original)
    const impostor = await open(introductionUrl(h, 'alice'))
    const closed = await impostor.closed
    expect(closed.code).toBe(CloseCode.Conflict)
    expect(closed.reason).toMatch(/in use/)
    // The original keeps its registration.
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await original.nextMessage()).peerId).toBe('bob')
    expect((await bob.nextMessage()).peerId).toBe('alice')
  })

  it('the live socket does not answer: it is evicted and the newcomer takes the id', async () => {
    const h = await startServer({ duplicateProbeMs: 100 })
    const stale = await open(introductionUrl(h, 'alice'), { autoPong: false })
    stale.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(stale)
    const fresh = await open(introductionUrl(h, 'alice'))
    // Sent while the probe runs: must not be lost.
    fresh.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await stale.closed
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', peerId: 'alice', documentIds: ['doc'] })
    expect(await fresh.nextMessage()).toEqual({ type: 'Introduction', peerId: 'bob', documentIds: ['doc'] })
    expect(h.server.stats()).toMatchObject({ peers: 2, probes: 0 })
  })

  it('the old socket closing while the newcomer waits: the newcomer is registered at once', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const stale = await open(introductionUrl(h, 'alice'), { autoPong: false })
    const fresh = await open(introductionUrl(h, 'alice'))
    fresh.sendJson({ type: 'Join', join: ['doc'] })
    await stale.close()
    const bob = await jsonPeer(h, 'bob', ['doc'])
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', id: 'alice', keys: ['doc'] })
    expect(h.server.stats().probes).toBe(0)
  })

  it('a newcomer that gives up while waiting leaves the live registration alone', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const stale = await open(introductionUrl(h, 'alice'), { autoPong: false })
    stale.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    const fresh = await open(introductionUrl(h, 'alice'))
    await roundTrip(fresh)
    await fresh.close()
    expect(h.server.stats()).toMatchObject({ probes: 0, peers: 1 })
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await bob.nextMessage()).peerId).toBe('alice')
  })

  it('a third claimant while a probe runs is refused at once', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    await open(introductionUrl(h, 'alice'), { autoPong: false })
    const second = await open(introductionUrl(h, 'alice'))
    const third = await open(introductionUrl(h, 'alice'))
    expect((await third.closed).code).toBe(CloseCode.Conflict)
    expect(second.ws.readyState).toBe(second.ws.OPEN)
  })

  it('the same token takes over at once, even from a live socket', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const old = await open(introductionUrl(h, 'alice', TOKEN))
    old.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(old)
    const replacement = await open(introductionUrl(h, 'alice', TOKEN))
    replacement.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    const closed = await old.closed
    expect(closed.code).toBe(CloseCode.Superseded)
    expect(closed.reason).toMatch(/token/)
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await replacement.nextMessage()).peerId).toBe('bob')
    expect((await bob.nextMessage()).peerId).toBe('alice')
  })

  it('a different token does not take over: the live socket is probed and wins', async () => {
    const h = await startServer({ duplicateProbeMs: 5_000 })
    const old = await open(introductionUrl(h, 'alice', TOKEN))
    const thief = await open(introductionUrl(h, 'alice', `${TOKEN}-other`))
    expect((await thief.closed).code).toBe(CloseCode.Conflict)
    expect(old.ws.readyState).toBe(old.ws.OPEN)
    // and without a token at all
    const anonymous = await open(introductionUrl(h, 'alice'))
    expect((await anonymous.closed).code).toBe(CloseCode.Conflict)
  })

  it("the old socket's late close never removes the newcomer's registration", async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const old = await open(introductionUrl(h, 'alice', TOKEN), { autoPong: false })
    old.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(old)
    // The old client does not complete the close handshake at once: it closes on its own schedule.
    const replacement = await open(introductionUrl(h, 'alice', TOKEN))
    replacement.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(replacement)
    await old.closed
    expect(h.server.stats().peers).toBe(1)
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await bob.nextMessage()).peerId).toBe('alice')
    expect((await replacement.nextMessage()).peerId).toBe('bob')
  })

  it('a token takeover during a probe: the token holder keeps the id', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const old = await open(introductionUrl(h, 'alice', TOKEN), { autoPong: false })
    old.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(old)
    const prober = await open(introductionUrl(h, 'alice'))
    await roundTrip(prober)
    const owner = await open(introductionUrl(h, 'alice', TOKEN))
    owner.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    expect((await old.closed).code).toBe(CloseCode.Superseded)
    expect((await prober.closed).code).toBe(CloseCode.Conflict)
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await owner.nextMessage()).peerId).toBe('bob')
    expect((await bob.nextMessage()).peerId).toBe('alice')
    expect(h.server.stats()).toMatchObject({ peers: 2, probes: 0 })
  })
})
