import { flushSync } from 'svelte'
import { beforeAll, describe, expect, it } from 'vitest'
import { RoomApp } from '../../src/lib/app/room-app.ts'
import type { StreamClient } from '../../src/lib/stream/streaming.svelte.ts'
import type { Timers } from '../../src/lib/timers.ts'
import { fakePeers, settle, testMembers, type TestMember } from '../mesh/fakes.ts'
import { FakeVideo } from '../player/fakes.ts'
import { FakeSocket } from '../signaling/fakes.ts'

/** Timers that remember which are still pending. */
class CountingTimers implements Timers {
  readonly pending = new Set<number>()
  #next = 0
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next
    this.pending.add(id)
    globalThis.setTimeout(() => {
      if (this.pending.delete(id)) fn()
    }, ms)
    return id
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  setInterval(_fn: () => void, _ms: number): unknown {
    const id = ++this.#next
    this.pending.add(id)
    return id // never fires: the test runs no room time
  }
  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number)
  }
}

/** The torrent client's surface, remembering its listeners and whether it was destroyed. */
function fakeTorrentClient() {
  const listeners = new Set<unknown>()
  let destroyed = false
  /** what the app asked of the client that starts a download or a seed, or readies the service worker */
  const calls: string[] = []
  const client = {
    on: (_event: string, listener: unknown) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    prepare: () => {
      calls.push('prepare')
      return Promise.resolve()
    },
    add: () => {
      calls.push('add')
      return new Promise(() => {})
    },
    seed: () => {
      calls.push('seed')
      return new Promise(() => {})
    },
    destroy: () => {
      destroyed = true
      return Promise.resolve()
    },
  } as unknown as StreamClient
  return { client, listeners, calls, destroyed: () => destroyed }
}

let alice: TestMember

beforeAll(async () => {
  ;[alice] = (await testMembers(1)) as [TestMember]
})

function compose(remote = false) {
  const timers = new CountingTimers()
  const sockets: FakeSocket[] = []
  const peers = fakePeers()
  const torrent = fakeTorrentClient()
  const app = new RoomApp({
    room: {
      // alice's id is her key's hash, so her own signed statements check out
      selfId: alice.id,
      documentId: 'doc-1',
      membership: { creator: true, joinedAt: 1_000 },
      fresh: true,
      name: 'Alice',
    },
    signer: alice.signer,
    roomKey: alice.roomKey,
    token: 'token-of-alice-0123456789',
    signalUrl: 'ws://signal.test',
    socket: (url, protocols) => {
      const socket = new FakeSocket(url, protocols)
      sockets.push(socket)
      return socket
    },
    createPeer: peers,
    torrentClient: torrent.client,
    timers,
    now: () => 10_000,
    appNow: () => 10_000,
    remote,
  })
  return { app, timers, sockets, peers, torrent }
}

describe('RoomApp', () => {
  it('builds signaling, mesh, room, streaming and playback, and destroy leaves nothing running', async () => {
    const { app, timers, sockets, peers, torrent } = compose()
    const element = new FakeVideo()
    app.attachVideo(element as unknown as HTMLVideoElement)
    flushSync()
    const introduction = sockets.find((s) => s.url.includes('/introduction/'))!
    introduction.open()
    await settle()
    // A member is introduced: the mesh opens a pipe to it and a WebRTC peer (alice's hex id < zed: she offers).
    introduction.receive({ type: 'Introduction', id: 'zed', keys: ['doc-1'] })
    for (const pipe of sockets.filter((s) => s.url.includes('/connection/'))) pipe.open()
    await settle()

    expect(app.room.started).toBe(true)
    const pipe = sockets.find((s) => s.url.includes(`/connection/${alice.id}/zed/doc-1`))
    // The pipe carries the registration's token, so the server knows it comes from alice's owner.
    expect(pipe?.protocols).toEqual(['theatron', 'theatron-token.token-of-alice-0123456789'])
    expect(peers.made.length).toBeGreaterThan(0)
    expect(timers.pending.size).toBeGreaterThan(0)
    expect(element.listeners).toBeGreaterThan(0)
    expect(torrent.listeners.size).toBeGreaterThan(0)

    app.destroy()
    await settle()

    expect(timers.pending.size).toBe(0)
    expect(sockets.filter((s) => !s.released).map((s) => s.url)).toEqual([])
    expect(peers.made.filter((p) => !p.destroyed).map((p) => p.id)).toEqual([])
    expect(element.listeners).toBe(0)
    expect(torrent.listeners.size).toBe(0)
    expect(torrent.destroyed()).toBe(true)
  })

  it("the video's removal lets go of the element while the room goes on", () => {
    const { app, timers } = compose()
    const element = new FakeVideo()
    const release = app.attachVideo(element as unknown as HTMLVideoElement)
    flushSync()
    expect(element.listeners).toBeGreaterThan(0)
    release()
    expect(element.listeners).toBe(0)
    expect(timers.pending.size).toBeGreaterThan(0)
    app.destroy()
    expect(timers.pending.size).toBe(0)
  })

  it('a remote control takes no video, seeds no dropped film and readies no service worker', async () => {
    const { app, torrent } = compose(true)
    const element = new FakeVideo()
    app.attachVideo(element as unknown as HTMLVideoElement)
    expect(element.listeners).toBe(0)
    expect(app.remote && app.streaming.remote && app.playback.remote).toBe(true)
    // It never holds the room nor keeps an item from starting: it reports that it opted out.
    expect(app.playback.optOut).toBe(true)
    app.playback.setOptOut(false)
    expect(app.playback.optOut).toBe(true)

    await app.streaming.addFiles([new File([new Uint8Array(64)], 'holiday.mp4', { type: 'video/mp4' })])
    expect(app.streaming.notice?.text).toMatch(/remote control/)
    expect(torrent.calls).toEqual([])
    app.destroy()
  })
})
