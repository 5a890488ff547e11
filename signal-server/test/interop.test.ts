/**
 * Interop: the published @localfirst/relay 4.2.2 Client (msgpack dialect) and a client written from
 * the cevitxe seed's description (JSON dialect) against our server. Then the regressions: behaviour
 * relay's own Server gets wrong, checked against ours only.
 */
import { Client as RelayClient } from '@localfirst/relay/Client.js'
import { pack } from 'msgpackr'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CloseCode } from '../src/errors.ts'
import {
  Client,
  connectionUrl,
  joined,
  introductionUrl,
  msgpackPeer,
  open,
  roundTrip,
  startServer,
  stopServers,
  type Harness,
} from './helpers.ts'

interface PeerConnect {
  peerId: string
  documentId: string
  socket: WebSocket
}

const relayClients = new Set<RelayClient>()
const seedClients = new Set<SeedClient>()

afterEach(async () => {
  for (const client of relayClients) client.disconnectServer()
  relayClients.clear()
  for (const client of seedClients) client.close()
  seedClients.clear()
  await stopServers()
})

function relayClient(h: Harness, peerId: string): RelayClient {
  const client = new RelayClient({ peerId, url: h.ws })
  relayClients.add(client)
  return client
}

function nextPeerConnect(client: RelayClient | SeedClient): Promise<PeerConnect> {
  return new Promise((resolve) => {
    if (client instanceof SeedClient) client.once('peer-connect', resolve)
    else client.once('peer-connect', (payload) => resolve(payload as PeerConnect))
  })
}

function nextData(socket: WebSocket): Promise<Buffer | ArrayBuffer | string> {
  return new Promise((resolve) =>
    socket.addEventListener('message', (event) => resolve(event.data as Buffer), { once: true }),
  )
}

/**
 * A JSON-dialect client written from the seed (cevitxe-signal-server README): connect to
 * `/introduction/:localId`, send `{type:'Join', join:[…]}`, and on `{type:'Introduction', id, keys}`
 * request `/connection/:localId/:remoteId/:key` for each key.
 */
class SeedClient {
  readonly localId: string
  readonly #url: string
  readonly #server: WebSocket
  readonly #listeners = new Map<string, Array<(payload: PeerConnect) => void>>()
  readonly #peers = new Set<WebSocket>()
  readonly errors: unknown[] = []

  constructor(url: string, localId: string, keys: string[]) {
    this.#url = url
    this.localId = localId
    this.#server = new WebSocket(`${url}/introduction/${localId}`)
    this.#server.on('error', (error) => this.errors.push(error))
    this.#server.on('open', () => this.#server.send(JSON.stringify({ type: 'Join', join: keys })))
    this.#server.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) throw new Error('the JSON dialect is spoken in text frames')
      const message = JSON.parse(data.toString()) as { type: string; id?: string; keys?: string[] }
      if (message.type === 'Error') this.errors.push(message)
      if (message.type !== 'Introduction') return
      for (const key of message.keys ?? []) this.#connect(message.id!, key)
    })
    seedClients.add(this)
  }

  once(event: 'peer-connect', listener: (payload: PeerConnect) => void): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener])
  }

  #connect(peerId: string, documentId: string): void {
    const socket = new WebSocket(`${this.#url}/connection/${this.localId}/${peerId}/${documentId}`)
    socket.on('error', (error) => this.errors.push(error))
    this.#peers.add(socket)
    socket.on('open', () => {
      const listeners = this.#listeners.get('peer-connect') ?? []
      this.#listeners.delete('peer-connect')
      for (const listener of listeners) listener({ peerId, documentId, socket })
    })
  }

  close(): void {
    for (const socket of this.#peers) socket.terminate()
    this.#server.terminate()
  }
}

describe('the published @localfirst/relay 4.2.2 Client', () => {
  it('two clients join a document: both get peer-connect with piped sockets', async () => {
    const h = await startServer()
    const alice = relayClient(h, 'alice')
    const bob = relayClient(h, 'bob')
    const aliceConnect = nextPeerConnect(alice)
    const bobConnect = nextPeerConnect(bob)
    alice.join('movie-night')
    bob.join('movie-night')
    const [toBob, toAlice] = await Promise.all([aliceConnect, bobConnect])
    expect(toBob).toMatchObject({ peerId: 'bob', documentId: 'movie-night' })
    expect(toAlice).toMatchObject({ peerId: 'alice', documentId: 'movie-night' })

    const atBob = nextData(toAlice.socket)
    toBob.socket.send('hello from alice')
    expect(await atBob).toBe('hello from alice')
    const atAlice = nextData(toBob.socket)
    toAlice.socket.send(new Uint8Array([1, 2, 3, 255]))
    expect(new Uint8Array((await atAlice) as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3, 255]))
    expect(h.server.stats()).toMatchObject({ peers: 2, pipesOpen: 1 })
  })

  it('a relay client and a seed (JSON) client meet and talk', async () => {
    const h = await startServer()
    const relay = relayClient(h, 'relay-peer')
    const relayConnect = nextPeerConnect(relay)
    relay.join('doc')
    const seed = new SeedClient(h.ws, 'seed-peer', ['doc'])
    const seedConnect = nextPeerConnect(seed)
    const [fromRelay, fromSeed] = await Promise.all([relayConnect, seedConnect])
    expect(fromRelay).toMatchObject({ peerId: 'seed-peer', documentId: 'doc' })
    expect(fromSeed).toMatchObject({ peerId: 'relay-peer', documentId: 'doc' })
    const atSeed = nextData(fromSeed.socket)
    fromRelay.socket.send('from relay')
    expect(((await atSeed) as Buffer).toString()).toBe('from relay')
    const atRelay = nextData(fromRelay.socket)
    fromSeed.socket.send('from seed')
    expect(await atRelay).toBe('from seed')
    expect(seed.errors).toEqual([])
  })

  it('its heartbeat ({type:"Heartbeat"} in msgpack) is accepted silently', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'))
    for (let i = 0; i < 20; i++) alice.ws.send(pack({ type: 'Heartbeat' }))
    await roundTrip(alice)
    expect(alice.pending).toHaveLength(0)
    expect(h.warnings).toEqual([])
  })
})

describe('two seed (JSON) clients', () => {
  it('meet on a shared key and exchange text through the pipe', async () => {
    const h = await startServer()
    const a = new SeedClient(h.ws, 'aaaa4242', ['happy-raccoon', 'abcd1234'])
    const aConnect = nextPeerConnect(a)
    const b = new SeedClient(h.ws, 'qrst7890', ['abcd1234'])
    const bConnect = nextPeerConnect(b)
    const [atA, atB] = await Promise.all([aConnect, bConnect])
    expect(atA).toMatchObject({ peerId: 'qrst7890', documentId: 'abcd1234' })
    expect(atB).toMatchObject({ peerId: 'aaaa4242', documentId: 'abcd1234' })
    const received = nextData(atB.socket)
    atA.socket.send(JSON.stringify({ hello: 'world' }))
    expect(JSON.parse(((await received) as Buffer).toString())).toEqual({ hello: 'world' })
  })
})

/** Each of these fails against @localfirst/relay 4.2.2's Server. */
describe('defects of relay 4.2.2 that we must not have', () => {
  it('held messages are delivered as sent, not re-encoded (binary stays binary, text stays text)', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    const binary = Buffer.from([0xc3, 0x28, 0x00, 0xff]) // invalid UTF-8
    const text = '🎬 «text» ✓'
    await alice.send(binary, true)
    await alice.send(text, false)
    await roundTrip(alice)
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    const first = await bob.next()
    const second = await bob.next()
    expect(first.isBinary).toBe(true)
    expect(first.data.equals(binary)).toBe(true)
    expect(second.isBinary).toBe(false)
    expect(second.data.toString('utf8')).toBe(text)
  })

  it('a second socket with a live peer id does not hijack the registration', async () => {
    const h = await startServer({ duplicateProbeMs: 5_000 })
    const alice = relayClient(h, 'alice')
    const aliceConnect = nextPeerConnect(alice)
    alice.join('doc')
    await new Promise((resolve) => alice.once('server-connect', () => resolve(null)))
    const hijacker = new Client(introductionUrl(h, 'alice'))
    expect((await hijacker.closed).code).toBe(CloseCode.Conflict)
    // Alice is still the one introduced.
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', peerId: 'alice', documentIds: ['doc'] })
    bob.ws.close()
    await expect(aliceConnect).resolves.toMatchObject({ peerId: 'bob' })
  })

  it("an evicted socket's close does not delete its successor's registration", async () => {
    const h = await startServer({ duplicateProbeMs: 50 })
    const dead = await open(introductionUrl(h, 'alice'), { autoPong: false })
    dead.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await roundTrip(dead)
    const alice = relayClient(h, 'alice')
    const aliceConnect = nextPeerConnect(alice)
    alice.join('doc')
    await dead.closed
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await bob.nextMessage()).peerId).toBe('alice')
    expect(h.server.stats().peers).toBe(2)
    // Settle the relay client's pipe request (it has no error handler on pipe sockets).
    await expect(aliceConnect).resolves.toMatchObject({ peerId: 'bob' })
  })

  it('an introduction socket has a payload limit (relay: ws default, 100 MiB)', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'))
    alice.ws.send(pack({ type: 'Join', documentIds: ['a'], padding: Buffer.alloc(1024 * 1024) }))
    expect((await alice.closed).code).toBe(1009)
  })

  it('close() closes the HTTP listener too', async () => {
    const h = await startServer()
    await h.server.close()
    const ws = new WebSocket(introductionUrl(h, 'late'))
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => ws.once('error', resolve))
    expect(error.code).toBe('ECONNREFUSED')
  })
})
