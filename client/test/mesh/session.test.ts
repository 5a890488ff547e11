import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Mesh } from '../../src/lib/mesh/mesh.ts'
import { PeerSession } from '../../src/lib/mesh/session.ts'
import { DATA_CHANNEL_TIMEOUT_MS } from '../../src/lib/mesh/transport.ts'
import { Emitter } from '../../src/lib/events.ts'
import { fakePeers, MemoryChannel, noWebRTC, pipePair, settle } from './fakes.ts'
import type { PeerFactory } from '../../src/lib/mesh/peer.ts'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

function sessions(createA: PeerFactory, createB: PeerFactory, pipes = pipePair()) {
  const a = new PeerSession({ localId: 'a', remoteId: 'b', pipe: pipes[0], createPeer: createA })
  const b = new PeerSession({ localId: 'b', remoteId: 'a', pipe: pipes[1], createPeer: createB })
  const received = { a: [] as string[], b: [] as string[] }
  a.on('message', (data) => received.a.push(data))
  b.on('message', (data) => received.b.push(data))
  return { a, b, received, pipes }
}

describe('PeerSession over an in-memory pipe', () => {
  it('carries the room protocol over WebRTC once the data channel connects', async () => {
    const peers = fakePeers()
    const { a, b, received } = sessions(peers, peers)
    await settle()
    expect([a.transport, b.transport]).toEqual(['webrtc', 'webrtc'])
    // exactly one side initiated (the lower peer id): no glare
    expect(peers.made.map((peer) => peer.initiator)).toEqual([true, false])
    expect(a.send('to b')).toBe(true)
    expect(b.send('to a')).toBe(true)
    await settle()
    expect(received).toEqual({ a: ['to a'], b: ['to b'] })
  })

  it('a message larger than a data-channel message goes in fragments, arrives whole, and WebRTC stays', async () => {
    const peers = fakePeers()
    const { a, b, received } = sessions(peers, peers)
    await settle()
    const big = JSON.stringify({ history: 'ü'.repeat(400_000) }) // 800 KB of UTF-8
    expect(a.send(big)).toBe(true)
    expect(a.send('after it')).toBe(true)
    await settle()
    expect(received.b).toEqual([big, 'after it'])
    expect([a.transport, b.transport]).toEqual(['webrtc', 'webrtc'])
  })

  it('relays over the pipe at once when one browser has no WebRTC', async () => {
    const { a, b, received } = sessions(fakePeers(), noWebRTC)
    await settle()
    // no waiting for the timeout: the side without WebRTC says so over the pipe
    expect([a.transport, b.transport]).toEqual(['relay', 'relay'])
    a.send('relayed')
    b.send('relayed back')
    await settle()
    expect(received).toEqual({ a: ['relayed back'], b: ['relayed'] })
  })

  it(`falls back to the pipe when the data channel is not up after ${DATA_CHANNEL_TIMEOUT_MS} ms`, async () => {
    const { a, b, received } = sessions(fakePeers(false), fakePeers(false))
    await settle()
    expect([a.transport, b.transport]).toEqual(['pending', 'pending'])
    expect(a.send('too early')).toBe(false)
    await vi.advanceTimersByTimeAsync(DATA_CHANNEL_TIMEOUT_MS)
    expect([a.transport, b.transport]).toEqual(['relay', 'relay'])
    a.send('late but there')
    await settle()
    expect(received.b).toEqual(['late but there'])
  })

  it('keeps a WebRTC member when the pipe (the signal server) goes away, and closes a relayed one', async () => {
    const webrtc = sessions(fakePeers(), fakePeers())
    const relayed = sessions(noWebRTC, noWebRTC)
    await settle()
    webrtc.pipes[0].close()
    relayed.pipes[0].close()
    await settle()
    expect([webrtc.a.transport, webrtc.b.transport]).toEqual(['webrtc', 'webrtc'])
    expect([relayed.a.transport, relayed.b.transport]).toEqual(['closed', 'closed'])
    webrtc.a.send('still here')
    await settle()
    expect(webrtc.received.b).toEqual(['still here'])
  })

  it('falls back to the pipe when an open data channel fails', async () => {
    const peers = fakePeers()
    const { a, b, received } = sessions(peers, peers)
    await settle()
    peers.made[0]!.destroy()
    await settle()
    expect([a.transport, b.transport]).toEqual(['relay', 'relay'])
    b.send('over the pipe now')
    await settle()
    expect(received.a).toEqual(['over the pipe now'])
  })

  it('renegotiates when the other side comes back as a new incarnation (a reload)', async () => {
    const peers = fakePeers()
    const { a, b } = sessions(peers, peers)
    await settle()
    // b's tab reloads: its peer and pipe go away, a new session with a new epoch arrives on a new pipe
    b.destroy()
    await settle()
    expect(a.transport).toBe('closed')
    const [pipeA, pipeB] = pipePair()
    const again = new PeerSession({ localId: 'a', remoteId: 'b', pipe: pipeA, createPeer: peers })
    const reloaded = new PeerSession({ localId: 'b', remoteId: 'a', pipe: pipeB, createPeer: peers })
    await settle()
    expect([again.transport, reloaded.transport]).toEqual(['webrtc', 'webrtc'])
  })

  it('destroy() releases the pipe, the peer and the timer', async () => {
    const peers = fakePeers(false)
    const { a, pipes } = sessions(peers, peers)
    await settle()
    const closed: string[] = []
    a.on('closed', (reason) => closed.push(reason))
    a.destroy('left')
    expect(closed).toEqual(['left'])
    expect(pipes[0].state).toBe('closed')
    expect(peers.made[0]!.destroyed).toBe(true)
    expect(vi.getTimerCount()).toBe(1) // only b's fallback timer is left
  })
})

describe('Mesh', () => {
  type IntroEvents = { introduction: [string, string[]] }

  it('opens one session per introduced peer, refuses beyond the member limit, and bans removed peers', async () => {
    const intros = new Emitter<IntroEvents>()
    const opened: string[] = []
    const mesh = new Mesh({
      localId: 'me',
      documentId: 'doc',
      introductions: intros,
      openPipe: (remote) => {
        opened.push(remote)
        return MemoryChannel.pair()[0]
      },
      createPeer: noWebRTC,
      maxMembers: 3,
    })
    intros.emit('introduction', 'other-doc-peer', ['unrelated'])
    intros.emit('introduction', 'me', ['doc'])
    intros.emit('introduction', 'p1', ['doc'])
    intros.emit('introduction', 'p1', ['doc']) // again while its pipe is open: no second session
    intros.emit('introduction', 'p2', ['doc'])
    intros.emit('introduction', 'p3', ['doc']) // the room is full: a pipe only to say so
    expect(mesh.peerIds).toEqual(['p1', 'p2'])
    expect(opened).toEqual(['p1', 'p2', 'p3'])
    mesh.ban('p1')
    expect(mesh.peerIds).toEqual(['p2'])
    intros.emit('introduction', 'p1', ['doc'])
    expect(mesh.peerIds).toEqual(['p2'])
    mesh.destroy()
    expect(mesh.peerIds).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
