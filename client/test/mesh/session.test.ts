import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Mesh, UNTRUSTED_BACKOFF_MS } from '../../src/lib/mesh/mesh.ts'
import { RETRY_MAX_MS, RETRY_MIN_MS } from '../../src/lib/backoff.ts'
import { PeerSession } from '../../src/lib/mesh/session.ts'
import { DATA_CHANNEL_TIMEOUT_MS } from '../../src/lib/mesh/transport.ts'
import { Emitter } from '../../src/lib/events.ts'
import type { PeerFactory } from '../../src/lib/mesh/peer.ts'
import { fromBase64url } from '../../src/lib/mesh/signing.ts'
import { helloFields, newHandshake, proofFields } from '../../src/lib/mesh/trust.ts'
import { expectWarning } from '../console.ts'
import {
  fakePeers,
  MemoryChannel,
  noWebRTC,
  pipePair,
  roomKeyFor,
  settle,
  testMember,
  testMembers,
  until,
  type TestMember,
} from './fakes.ts'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

function session(local: TestMember, remote: TestMember, pipe: MemoryChannel, createPeer: PeerFactory) {
  return new PeerSession({ localId: local.id, remoteId: remote.id, pipe, createPeer, trust: local.trust })
}

async function sessions(createA: PeerFactory, createB: PeerFactory, pipes = pipePair()) {
  const [ma, mb] = (await testMembers(2)) as [TestMember, TestMember]
  const a = session(ma, mb, pipes[0], createA)
  const b = session(mb, ma, pipes[1], createB)
  const received = { a: [] as string[], b: [] as string[] }
  a.on('message', (data) => received.a.push(data))
  b.on('message', (data) => received.b.push(data))
  return { a, b, ma, mb, received, pipes }
}

const both = (a: PeerSession, b: PeerSession, transport: string) => () =>
  a.transport === transport && b.transport === transport

describe('PeerSession over an in-memory pipe', () => {
  it('carries the room protocol over WebRTC once the data channel connects', async () => {
    const peers = fakePeers()
    const { a, b, received } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    // exactly one side initiated (the lower peer id): no glare
    expect(peers.made.map((peer) => peer.initiator)).toEqual([true, false])
    expect(a.send('to b')).toBe(true)
    expect(b.send('to a')).toBe(true)
    await until(() => received.a.length + received.b.length === 2)
    expect(received).toEqual({ a: ['to a'], b: ['to b'] })
  })

  it("knows the other side's public key once the handshake verified it", async () => {
    const peers = fakePeers()
    const { a, b, ma, mb } = await sessions(peers, peers)
    expect(a.remotePublicKey).toBeNull()
    await until(both(a, b, 'webrtc'))
    expect(a.remotePublicKey).toEqual(mb.signer.publicKey)
    expect(b.remotePublicKey).toEqual(ma.signer.publicKey)
  })

  it('a message larger than a data-channel message goes in fragments, arrives whole, and WebRTC stays', async () => {
    const peers = fakePeers()
    const { a, b, received } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    const big = JSON.stringify({ history: 'ü'.repeat(400_000) }) // 800 KB of UTF-8
    expect(a.send(big)).toBe(true)
    expect(a.send('after it')).toBe(true)
    await until(() => received.b.length === 2)
    expect(received.b).toEqual([big, 'after it'])
    expect([a.transport, b.transport]).toEqual(['webrtc', 'webrtc'])
  })

  it('relays over the pipe at once when one browser has no WebRTC', async () => {
    const { a, b, received } = await sessions(fakePeers(), noWebRTC)
    // no waiting for the timeout: the side without WebRTC says so over the pipe
    await until(both(a, b, 'relay'))
    a.send('relayed')
    b.send('relayed back')
    await until(() => received.a.length + received.b.length === 2)
    expect(received).toEqual({ a: ['relayed back'], b: ['relayed'] })
  })

  it('the relayed pipe carries nothing readable: no room message, no signal in the clear', async () => {
    const { a, b, received, pipes } = await sessions(fakePeers(), noWebRTC)
    const wire: string[] = []
    for (const pipe of pipes) pipe.on('message', (data) => wire.push(data))
    await until(both(a, b, 'relay'))
    a.send('the secret plot')
    await until(() => received.b.length === 1)
    expect(received.b).toEqual(['the secret plot'])
    expect(wire.join('\n')).not.toContain('secret plot')
    expect(wire.join('\n')).not.toContain('no-webrtc')
    const kinds = new Set(wire.map((data) => (JSON.parse(data) as { k: string }).k))
    expect(kinds.has('sealed')).toBe(true)
    expect([...kinds].filter((kind) => !['hello', 'proof', 'sealed'].includes(kind))).toEqual([])
  })

  it(`falls back to the pipe when the data channel is not up after ${DATA_CHANNEL_TIMEOUT_MS} ms`, async () => {
    const { a, b, received } = await sessions(fakePeers(false), fakePeers(false))
    await until(() => a.remotePublicKey !== null && b.remotePublicKey !== null)
    expect([a.transport, b.transport]).toEqual(['pending', 'pending'])
    expect(a.send('too early')).toBe(false)
    await vi.advanceTimersByTimeAsync(DATA_CHANNEL_TIMEOUT_MS)
    expect([a.transport, b.transport]).toEqual(['relay', 'relay'])
    a.send('late but there')
    await until(() => received.b.length === 1)
    expect(received.b).toEqual(['late but there'])
  })

  it('keeps a WebRTC member when the pipe (the signal server) goes away, and closes a relayed one', async () => {
    const webrtc = await sessions(fakePeers(), fakePeers())
    const relayed = await sessions(noWebRTC, noWebRTC)
    await until(both(webrtc.a, webrtc.b, 'webrtc'))
    await until(both(relayed.a, relayed.b, 'relay'))
    webrtc.pipes[0].close()
    relayed.pipes[0].close()
    await settle()
    expect([webrtc.a.transport, webrtc.b.transport]).toEqual(['webrtc', 'webrtc'])
    expect([relayed.a.transport, relayed.b.transport]).toEqual(['closed', 'closed'])
    webrtc.a.send('still here')
    await until(() => webrtc.received.b.length === 1)
    expect(webrtc.received.b).toEqual(['still here'])
  })

  it('falls back to the pipe when an open data channel fails', async () => {
    const peers = fakePeers()
    const { a, b, received } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    peers.made[0]!.destroy()
    await until(both(a, b, 'relay'))
    b.send('over the pipe now')
    await until(() => received.a.length === 1)
    expect(received.a).toEqual(['over the pipe now'])
  })

  it('renegotiates when the other side comes back as a new incarnation (a reload)', async () => {
    const peers = fakePeers()
    const { a, b, ma, mb } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    // b's tab reloads: its peer and pipe go away, a new session with a new epoch arrives on a new pipe
    b.destroy()
    await until(() => a.transport === 'closed')
    const [pipeA, pipeB] = pipePair()
    const again = session(ma, mb, pipeA, peers)
    const reloaded = session(mb, ma, pipeB, peers)
    await until(both(again, reloaded, 'webrtc'))
  })

  it('a reload on a live link (new epoch, same session on this side) restarts WebRTC with a new handshake', async () => {
    const peers = fakePeers()
    const { a, b, ma, mb, pipes } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    const transports: string[] = []
    a.on('transport', (transport) => transports.push(transport))
    // b reloads; a's pipe closes and a reattaches to a new one, meeting b's new session
    b.destroy()
    pipes[0].close()
    const [pipeA, pipeB] = pipePair()
    a.attachPipe(pipeA)
    const reloaded = session(mb, ma, pipeB, peers)
    await until(both(a, reloaded, 'webrtc'))
    expect(transports).toContain('pending')
  })

  it("a data channel that failed is negotiated again with the other side's new incarnation", async () => {
    const peers = fakePeers()
    const { a, b, ma, mb, pipes } = await sessions(peers, peers)
    await until(both(a, b, 'webrtc'))
    // a's thread stopped for a while: b took it for gone and closed everything; a wakes to a dead data
    // channel and pipe, and meets b's new session on a new pipe
    b.destroy()
    peers.made[0]!.destroy()
    pipes[0].close()
    await until(() => a.transport !== 'webrtc')
    const [pipeA, pipeB] = pipePair()
    a.attachPipe(pipeA)
    const fresh = session(mb, ma, pipeB, peers)
    await until(both(a, fresh, 'webrtc'))
  })

  it('destroy() releases the pipe, the peer and the timer', async () => {
    const peers = fakePeers(false)
    const { a, b, pipes } = await sessions(peers, peers)
    await until(() => a.remotePublicKey !== null && b.remotePublicKey !== null)
    const closed: string[] = []
    a.on('closed', (reason) => closed.push(reason))
    a.destroy('left')
    expect(closed).toEqual(['left'])
    expect(pipes[0].state).toBe('closed')
    expect(peers.made[0]!.destroyed).toBe(true)
    expect(vi.getTimerCount()).toBe(1) // only b's fallback timer is left
  })
})

/**
 * Someone speaking the pipe protocol with a key pair of its own but another room's key: it answers the
 * member's hello with its proof, then sends a (made-up) sealed room message.
 */
function scriptedStranger(stranger: TestMember, member: TestMember, pipe: MemoryChannel): void {
  const handshake = newHandshake(stranger.trust, 'pipe', member.id)
  pipe.send(JSON.stringify({ k: 'hello', epoch: 'e', ...helloFields(handshake.hello) }))
  pipe.on('message', (data) => {
    const frame = JSON.parse(data) as { k: string; id: string; pub: string; nonce: string }
    if (frame.k !== 'hello') return
    const hello = { id: frame.id, publicKey: fromBase64url(frame.pub)!, nonce: fromBase64url(frame.nonce)! }
    void handshake.acceptHello(hello).then(async () => {
      const proof = await handshake.proof()
      if (typeof proof === 'string') throw new Error(proof)
      pipe.send(JSON.stringify({ k: 'proof', ...proofFields(proof) }))
      pipe.send(JSON.stringify({ k: 'sealed', c: 'AAAA' }))
    })
  })
}

describe('PeerSession trust', () => {
  it('drops a peer that does not hold the room key: nothing it sends arrives', async () => {
    const [member] = await testMembers(1)
    const stranger = await testMember(await roomKeyFor()) // another room's key
    const [pipeM, pipeS] = pipePair()
    const a = session(member!, stranger, pipeM, noWebRTC)
    const received: string[] = []
    const closed: string[] = []
    a.on('message', (data) => received.push(data))
    a.on('closed', (reason) => closed.push(reason))
    scriptedStranger(stranger, member!, pipeS)
    await until(() => closed.length === 1)
    expect(closed).toEqual(['untrusted'])
    expect(received).toEqual([])
    expectWarning(/dropped the link to .*: bad-proof/)
  })

  it('drops a peer whose hello claims an id that is not its key', async () => {
    const [member, other] = (await testMembers(2)) as [TestMember, TestMember]
    const [pipeM, pipeS] = pipePair()
    const a = session(member, other, pipeM, noWebRTC)
    const closed: string[] = []
    a.on('closed', (reason) => closed.push(reason))
    // a scripted stranger: another member's id with its own (random) key
    pipeS.on('message', () => {})
    pipeS.send(
      JSON.stringify({ k: 'hello', epoch: 'x', id: other.id, pub: 'A'.repeat(43), nonce: 'B'.repeat(22) }),
    )
    await until(() => closed.length === 1)
    expect(closed).toEqual(['untrusted'])
    expectWarning(/id-not-key/)
  })

  it('drops the link when a sealed frame is replayed, and when one is altered', async () => {
    for (const attack of ['replay', 'tamper'] as const) {
      const pipes = pipePair()
      const { a, b, received } = await sessions(fakePeers(), noWebRTC, pipes)
      const sealed: string[] = []
      pipes[0].on('message', (data) => {
        if (data.includes('"sealed"')) sealed.push(data)
      })
      await until(both(a, b, 'relay'))
      b.send('once')
      await until(() => received.a.length === 1)
      const last = sealed.at(-1)!
      const forged =
        attack === 'replay'
          ? last
          : last.replace(/"c":"(.)/, (_, c: string) => `"c":"${c === 'A' ? 'B' : 'A'}`)
      pipes[1].send(forged) // as if from b, through the server
      await until(() => a.transport === 'closed')
      expect(received.a).toEqual(['once'])
      expectWarning(/dropped the link to .*: bad-frame/)
    }
  })
})

describe('Mesh', () => {
  type IntroEvents = { introduction: [string, string[]] }

  it('opens one session per introduced peer, refuses beyond the member limit, and bans removed peers', async () => {
    const [me, p1, p2, p3] = (await testMembers(4)) as TestMember[]
    const intros = new Emitter<IntroEvents>()
    const opened: string[] = []
    const mesh = new Mesh({
      localId: me!.id,
      documentId: 'doc',
      introductions: intros,
      openPipe: (remote) => {
        opened.push(remote)
        return MemoryChannel.pair()[0]
      },
      createPeer: noWebRTC,
      trust: me!.trust,
      maxMembers: 3,
    })
    intros.emit('introduction', 'other-doc-peer', ['unrelated'])
    intros.emit('introduction', me!.id, ['doc'])
    intros.emit('introduction', p1!.id, ['doc'])
    intros.emit('introduction', p1!.id, ['doc']) // again while its pipe is open: no second session
    intros.emit('introduction', p2!.id, ['doc'])
    intros.emit('introduction', p3!.id, ['doc']) // the room is full: a pipe only to say so
    expect(mesh.peerIds).toEqual([p1!.id, p2!.id])
    expect(opened).toEqual([p1!.id, p2!.id, p3!.id])
    mesh.ban(p1!.id)
    expect(mesh.peerIds).toEqual([p2!.id])
    intros.emit('introduction', p1!.id, ['doc'])
    expect(mesh.peerIds).toEqual([p2!.id])
    mesh.destroy()
    expect(mesh.peerIds).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('turns a newcomer away from a full room after a handshake, so only a member can say "full"', async () => {
    const [me, p1, newcomer] = (await testMembers(3)) as TestMember[]
    const intros = new Emitter<IntroEvents>()
    const sessionsOfOthers: PeerSession[] = []
    const mesh = new Mesh({
      localId: me!.id,
      documentId: 'doc',
      introductions: intros,
      openPipe: (remote) => {
        const [mine, theirs] = pipePair()
        const other = remote === p1!.id ? p1! : newcomer!
        sessionsOfOthers.push(session(other, me!, theirs, noWebRTC))
        return mine
      },
      createPeer: noWebRTC,
      trust: me!.trust,
      maxMembers: 2,
    })
    intros.emit('introduction', p1!.id, ['doc'])
    intros.emit('introduction', newcomer!.id, ['doc'])
    const turnedAway = sessionsOfOthers[1]!
    const reasons: string[] = []
    turnedAway.on('closed', (reason) => reasons.push(reason))
    await until(() => reasons.length === 1)
    expect(reasons).toEqual(['full'])
    expect(mesh.peerIds).toEqual([p1!.id])
    mesh.destroy()
  })

  it('does not retry a peer whose handshake failed until its back-off is over', async () => {
    const [me] = await testMembers(1)
    const stranger = await testMember(await roomKeyFor())
    const intros = new Emitter<IntroEvents>()
    let opened = 0
    const mesh = new Mesh({
      localId: me!.id,
      documentId: 'doc',
      introductions: intros,
      openPipe: () => {
        opened++
        const [mine, theirs] = pipePair()
        scriptedStranger(stranger, me!, theirs)
        return mine
      },
      createPeer: noWebRTC,
      trust: me!.trust,
    })
    const closed: string[] = []
    mesh.on('closed', (peerId, reason) =>
      closed.push(`${peerId === stranger.id ? 'stranger' : peerId} ${reason}`),
    )
    intros.emit('introduction', stranger.id, ['doc'])
    await until(() => closed.length === 1)
    expect(closed).toEqual(['stranger untrusted'])
    intros.emit('introduction', stranger.id, ['doc']) // the stranger joins again at once: ignored
    expect(opened).toBe(1)
    expect(mesh.peerIds).toEqual([])
    vi.advanceTimersByTime(UNTRUSTED_BACKOFF_MS)
    intros.emit('introduction', stranger.id, ['doc'])
    expect(opened).toBe(2)
    mesh.destroy()
    expectWarning(/bad-proof/)
  })

  it('asks for new introductions after a link closes before it came up, backing off while that repeats', async () => {
    const [me, away, other] = (await testMembers(3)) as TestMember[]
    const intros = new Emitter<IntroEvents>()
    const pipes = new Map<string, MemoryChannel>()
    let rejoins = 0
    const mesh = new Mesh({
      localId: me!.id,
      documentId: 'doc',
      introductions: intros,
      openPipe: (remote) => {
        // the member's half waits alone: nobody answers on the other end
        const [mine] = MemoryChannel.pair()
        MemoryChannel.connect(mine)
        pipes.set(remote, mine)
        return mine
      },
      createPeer: noWebRTC,
      trust: me!.trust,
      rejoin: () => rejoins++,
    })
    const failAfter = async (ms: number) => {
      intros.emit('introduction', away!.id, ['doc'])
      pipes.get(away!.id)!.close() // the server gave up on the half that found no partner
      await settle()
      vi.advanceTimersByTime(ms - 1)
      const before = rejoins
      vi.advanceTimersByTime(1)
      return rejoins - before
    }
    expect(await failAfter(RETRY_MIN_MS)).toBe(1)
    expect(await failAfter(RETRY_MIN_MS * 2)).toBe(1)
    // a link that comes up resets the back-off; a member that leaves after its link was up is not chased
    const [mine, theirs] = pipePair()
    const answering = session(other!, me!, theirs, noWebRTC)
    pipes.clear()
    const up = new Mesh({
      localId: me!.id,
      documentId: 'doc2',
      introductions: intros,
      openPipe: () => mine,
      createPeer: noWebRTC,
      trust: me!.trust,
      rejoin: () => rejoins++,
    })
    intros.emit('introduction', other!.id, ['doc2'])
    // Both ends proven: the handshake completes on each side in its own time.
    await until(() => up.publicKey(other!.id) !== null && answering.transport === 'relay')
    const before = rejoins
    answering.destroy('left')
    await settle()
    vi.advanceTimersByTime(RETRY_MAX_MS)
    expect(rejoins).toBe(before)
    mesh.destroy()
    up.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})
