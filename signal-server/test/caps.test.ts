/**
 * Server-wide bounds: total connections, bytes held for all waiting pipes, IPv6 clients counted per
 * /64, sockets that never join, and requests that never finish their headers.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import {
  connectionUrl,
  eventually,
  introductionUrl,
  joined,
  msgpackPeer,
  open,
  refusedUpgrade,
  roundTrip,
  startServer,
  stopServers,
} from './helpers.ts'

afterEach(stopServers)

describe('total connections', () => {
  it('over the cap, upgrades get HTTP 503 (capacity) from any address until one closes', async () => {
    const h = await startServer({ maxConnections: 2, trustedProxies: 1 })
    const from = (address: string) => ({ headers: { 'X-Forwarded-For': address } })
    const first = await open(introductionUrl(h, 'a'), from('203.0.113.1'))
    await open(introductionUrl(h, 'b'), from('203.0.113.2'))
    const refused = await refusedUpgrade(introductionUrl(h, 'c'), { 'X-Forwarded-For': '203.0.113.3' })
    expect(refused).toEqual({ status: 503, body: expect.objectContaining({ error: 'capacity' }) as object })
    await first.close()
    await eventually(() => expect(h.server.stats().connections.introduction).toBe(1))
    await open(introductionUrl(h, 'c'), from('203.0.113.3'))
  })
})

describe('IPv6 clients', () => {
  it('count per /64 against the per-address limit; another /64 is another client', async () => {
    const h = await startServer({ maxConnectionsPerIp: 1, trustedProxies: 1 })
    await open(introductionUrl(h, 'a'), { headers: { 'X-Forwarded-For': '2001:db8:1:2::1' } })
    const sameLine = await refusedUpgrade(introductionUrl(h, 'b'), {
      'X-Forwarded-For': '2001:db8:1:2::beef',
    })
    expect(sameLine.status).toBe(429)
    await open(introductionUrl(h, 'c'), { headers: { 'X-Forwarded-For': '2001:db8:1:3::1' } })
    expect(h.server.stats().addresses).toBe(2)
  })
})

describe('held bytes in total', () => {
  it('a waiting side that takes the server over its total is closed 4413; others keep theirs', async () => {
    const h = await startServer({ held: { totalBytes: 1000 } })
    await joined(h, 'doc', 'alice', 'bob', 'carol')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send(Buffer.alloc(600), true)
    await roundTrip(alice)
    const carol = await open(connectionUrl(h, 'carol', 'bob', 'doc'))
    await carol.send(Buffer.alloc(600), true)
    const closed = await carol.closed
    expect(closed).toEqual({
      code: CloseCode.HeldTooMuch,
      reason: 'the server holds too many bytes for waiting pipes',
    })
    expect(h.server.stats()).toMatchObject({ pipesWaiting: 1, heldBytes: 600 })
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    expect((await bob.next()).data.length).toBe(600)
  })
})

describe('sockets that never join', () => {
  it('are closed 4408 after the join timeout; one that joined stays', async () => {
    const h = await startServer({ joinTimeoutMs: 1000 })
    const member = await msgpackPeer(h, 'member', ['doc'])
    await roundTrip(member)
    const emptyJoin = await open(introductionUrl(h, 'empty'))
    emptyJoin.sendMsgpack({ type: 'Join', documentIds: [] })
    const idle = await open(introductionUrl(h, 'idle'))
    expect(await idle.closed).toEqual({
      code: CloseCode.HeldTooLong,
      reason: 'no document joined within 1000 ms',
    })
    expect((await emptyJoin.closed).code).toBe(CloseCode.HeldTooLong)
    // The member's timer started first and would have fired by now.
    await roundTrip(member)
    expect(member.ws.readyState).toBe(member.ws.OPEN)
  })
})

describe('HTTP timeouts', () => {
  it('a request that never finishes its headers is cut off after headersTimeout', async () => {
    const h = await startServer({ headersTimeoutMs: 200 })
    const socket = connect(h.port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write('GET /introduction/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    await once(socket, 'close')
    // Node's default (60 s) would outlast the test; the server drops the socket without an answer.
    expect(Buffer.concat(received).toString()).toBe('')
    expect(h.server.stats().connections.introduction).toBe(0)
  })
})
