import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import { AddressCounter, addressKey, clientAddress, refillDelayMs, takeToken } from '../src/limits.ts'
import {
  connectionUrl,
  joined,
  eventually,
  introductionUrl,
  jsonPeer,
  msgpackPeer,
  open,
  refusedUpgrade,
  roundTrip,
  startServer,
  stopServers,
} from './helpers.ts'

afterEach(stopServers)

describe('token bucket', () => {
  const bucketOf = (burst: number, perSecond: number) => {
    const rate = { burst, perSecond }
    const state = { tokens: burst, refilledAt: 0 }
    return {
      state,
      take: (now: number) => takeToken(state, rate, now),
      delay: () => refillDelayMs(state, rate),
    }
  }

  it('allows a burst, then refills at the sustained rate', () => {
    const bucket = bucketOf(3, 10)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(bucket.take(50)).toBe(false) // half a token
    expect(bucket.delay()).toBeCloseTo(50)
    expect(bucket.take(100)).toBe(true) // 0.5 + 0.5
    expect(bucket.take(100)).toBe(false)
  })

  it('a rate of 0 disables the limit', () => {
    const bucket = bucketOf(1, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true])
    expect(bucket.delay()).toBe(0)
  })

  it('never holds more than its capacity, and a clock going backwards adds nothing', () => {
    const bucket = bucketOf(2, 1000)
    bucket.take(0)
    bucket.take(0)
    expect(bucket.take(-5_000)).toBe(false)
    const later = 1_000_000
    expect([bucket.take(later), bucket.take(later), bucket.take(later)]).toEqual([true, true, false])
  })
})

describe('clientAddress', () => {
  it.each([
    ['no proxy trusted: the socket', '10.0.0.1', '203.0.113.7', 0, '10.0.0.1'],
    ['no header: the socket', '10.0.0.1', undefined, 1, '10.0.0.1'],
    ['one proxy: its entry', '10.0.0.1', '203.0.113.7', 1, '203.0.113.7'],
    ['one proxy, client-written entries left of it', '10.0.0.1', '6.6.6.6, 203.0.113.7', 1, '203.0.113.7'],
    ['two proxies', '10.0.0.1', '6.6.6.6, 203.0.113.7, 10.0.0.2', 2, '203.0.113.7'],
    ['more proxies trusted than entries: the leftmost', '10.0.0.1', '203.0.113.7', 3, '203.0.113.7'],
    ['IPv6', '::1', ' 2001:db8::1 ', 1, '2001:db8::1'],
    ['not an address: the socket', '10.0.0.1', 'evil', 1, '10.0.0.1'],
    ['empty entry: the socket', '10.0.0.1', '203.0.113.7, ', 1, '10.0.0.1'],
  ])('%s', (_name, remote, header, hops, expected) => {
    expect(clientAddress(remote, header, hops)).toBe(expected)
  })
})

describe('AddressCounter', () => {
  it('counts per address up to the limit and forgets addresses at zero', () => {
    const counter = new AddressCounter(2)
    expect(counter.acquire('a')).toBe('ok')
    expect(counter.acquire('a')).toBe('ok')
    expect(counter.acquire('a')).toBe('address')
    expect(counter.acquire('b')).toBe('ok')
    expect(counter.size).toBe(2)
    counter.release('a')
    expect(counter.acquire('a')).toBe('ok')
    counter.release('a')
    counter.release('a')
    counter.release('b')
    expect(counter.size).toBe(0)
    counter.release('never-seen')
    expect(counter.size).toBe(0)
    expect(counter.total).toBe(0)
  })

  it('caps the total over all addresses', () => {
    const counter = new AddressCounter(10, 3)
    expect(['a', 'b', 'c', 'd'].map((address) => counter.acquire(address))).toEqual([
      'ok',
      'ok',
      'ok',
      'total',
    ])
    expect(counter.total).toBe(3)
    counter.release('d') // never counted: changes nothing
    expect(counter.total).toBe(3)
    counter.release('a')
    expect(counter.acquire('d')).toBe('ok')
  })
})

describe('addressKey', () => {
  it.each([
    ['IPv4 as is', '203.0.113.7', '203.0.113.7'],
    ['IPv6 by its /64', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['the same /64, another host', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['compressed forms expanded', '2001:db8::1', '2001:db8:0:0::/64'],
    ['leading zeros and case', '2001:0DB8:0000:0001::1', '2001:db8:0:1::/64'],
    ['loopback', '::1', '0:0:0:0::/64'],
    ['IPv4-mapped: the IPv4 address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['a zone index is ignored', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not an address: as is', 'unknown', 'unknown'],
  ])('%s', (_name, address, key) => {
    expect(addressKey(address)).toBe(key)
  })
})

describe('bad URLs get an HTTP 4xx', () => {
  it.each([
    ['/introduction/' + 'a'.repeat(129), 400, 'bad-id'],
    ['/introduction/a%20b', 400, 'bad-id'],
    ['/introduction/alice?token=short', 400, 'bad-token'],
    ['/connection/alice/alice/doc', 400, 'same-peer'],
    ['/connection/alice/bob/d%3Ad', 400, 'bad-id'],
    ['/connection/alice/bob', 404, 'not-found'],
    ['/connect/bob', 404, 'not-found'],
    ['/', 404, 'not-found'],
  ])('%s → %i %s', async (path, status, reason) => {
    const h = await startServer()
    const refused = await refusedUpgrade(`${h.ws}${path}`)
    expect(refused.status).toBe(status)
    expect(refused.body).toMatchObject({ error: reason })
    expect(h.server.stats().addresses).toBe(0)
  })
})

describe('messages the server will not take', () => {
  it('JSON client: each bad message is answered with {type:"Error", code, message}; no warning', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'))
    const cases: Array<[string, string]> = [
      ['{not json', 'invalid-json'],
      ['{"type":"Join"}', 'invalid-message'],
      ['{"type":"Connect"}', 'unknown-type'],
      ['{"type":"Join","join":["a/b"]}', 'invalid-document-id'],
      ['42', 'invalid-message'],
    ]
    for (const [text, code] of cases) {
      alice.ws.send(text)
      const reply = await alice.nextMessage()
      expect(reply).toEqual({ type: 'Error', code, message: expect.any(String) as string })
    }
    expect(h.warnings).toEqual([])
    // Still usable afterwards.
    alice.sendJson({ type: 'Join', join: ['doc'] })
    await jsonPeer(h, 'bob', ['doc'])
    expect(await alice.nextMessage()).toEqual({ type: 'Introduction', id: 'bob', keys: ['doc'] })
  })

  it('msgpack client: gets nothing back and the server logs a warning per bad message', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'))
    alice.ws.send(Buffer.from([0x82, 0xa4]), { binary: true })
    alice.sendMsgpack({ type: 'Connect' })
    alice.sendMsgpack({ type: 'Join', documentIds: 'doc' })
    alice.sendMsgpack({ type: 'Join', documentIds: ['bad id'] })
    await roundTrip(alice)
    expect(alice.pending).toHaveLength(0)
    const warnings = h.takeWarnings()
    expect(warnings.map((w) => w.code)).toEqual([
      'invalid-msgpack',
      'unknown-type',
      'invalid-message',
      'invalid-document-id',
    ])
    expect(warnings.every((w) => w.peerId === 'alice')).toBe(true)
  })

  it('repeated invalid messages close the socket 4400 with a reason', async () => {
    const h = await startServer({ maxStrikes: 3 })
    const relay = await open(introductionUrl(h, 'relay'))
    for (let i = 0; i < 3; i++) relay.sendMsgpack({ type: 'Nope' })
    const closed = await relay.closed
    expect(closed).toEqual({ code: CloseCode.BadMessages, reason: 'too many invalid messages' })
    h.takeWarnings()
    const json = await open(introductionUrl(h, 'json'))
    for (let i = 0; i < 3; i++) json.ws.send('garbage')
    expect((await json.closed).code).toBe(CloseCode.BadMessages)
    const errors = json.pending.map((f) => JSON.parse(f.data.toString()) as { code: string })
    expect(errors.map((e) => e.code)).toEqual(['invalid-json', 'invalid-json', 'invalid-json'])
  })

  it('too many documents per peer: an error, the Join changes nothing', async () => {
    const h = await startServer({ maxDocumentsPerPeer: 2 })
    const alice = await jsonPeer(h, 'alice', ['d1', 'd2'])
    alice.sendJson({ type: 'Join', join: ['d3'] })
    expect(await alice.nextMessage()).toMatchObject({ type: 'Error', code: 'too-many-documents' })
    const relay = await msgpackPeer(h, 'relay', ['d1', 'd2', 'd3'])
    await roundTrip(relay)
    expect(h.takeWarnings().map((w) => w.code)).toEqual(['too-many-documents'])
    const bob = await jsonPeer(h, 'bob', ['d3'])
    await roundTrip(bob)
    expect(bob.pending).toHaveLength(0)
    expect(alice.pending).toHaveLength(0)
  })

  it('an introduction frame over the payload limit closes the socket 1009', async () => {
    const h = await startServer({ introductionMaxPayload: 1024 })
    const alice = await open(introductionUrl(h, 'alice'))
    alice.sendJson({ type: 'Join', join: ['x'.repeat(100)], padding: 'p'.repeat(1024) })
    expect((await alice.closed).code).toBe(1009)
    await eventually(() => expect(h.server.stats()).toMatchObject({ peers: 0, addresses: 0 }))
  })

  it('a pipe frame over the (larger) pipe limit closes it 1009, and its partner', async () => {
    const h = await startServer({ introductionMaxPayload: 1024, pipeMaxPayload: 64 * 1024 })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await alice.send(Buffer.alloc(32 * 1024), true) // over the introduction limit: fine on a pipe
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    expect((await bob.next()).data.length).toBe(32 * 1024)
    await bob.send(Buffer.alloc(64 * 1024 + 1), true)
    expect((await bob.closed).code).toBe(1009)
    expect((await alice.closed).code).toBe(1000)
  })
})

describe('rate limits', () => {
  it('introduction socket: over-rate messages are strikes; enough strikes close it 4429', async () => {
    const h = await startServer({ introductionRate: { burst: 5, perSecond: 1 }, maxStrikes: 3 })
    const alice = await open(introductionUrl(h, 'alice'))
    for (let i = 0; i < 8; i++) alice.sendJson({ type: 'Heartbeat' })
    const closed = await alice.closed
    expect(closed).toEqual({ code: CloseCode.RateLimited, reason: 'message rate limit exceeded' })
    const errors = alice.pending.map((f) => JSON.parse(f.data.toString()) as { code: string })
    expect(errors.map((e) => e.code)).toEqual(['rate-limited', 'rate-limited', 'rate-limited'])
  })

  it('pipe: a sender over the rate is slowed to it, never closed and never loses a frame', async () => {
    const h = await startServer({ pipeRate: { burst: 5, perSecond: 50 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    const bob = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    await roundTrip(bob)
    const started = performance.now()
    for (let i = 0; i < 20; i++) alice.ws.send(`m${i}`)
    const received: string[] = []
    for (let i = 0; i < 20; i++) received.push((await bob.next()).data.toString())
    const elapsed = performance.now() - started
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    // 5 frames of burst, then 15 at 50/s: at least ~300 ms. A lower bound only: load makes it slower.
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(alice.ws.readyState).toBe(alice.ws.OPEN)
    expect(bob.ws.readyState).toBe(bob.ws.OPEN)
  })

  it('a held pipe side exceeding the rate is closed 4429 (rate-limited), not as held-too-much', async () => {
    const h = await startServer({ pipeRate: { burst: 5, perSecond: 1 }, held: { frames: 100 } })
    await joined(h, 'doc', 'alice', 'bob')
    const alice = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    for (let i = 0; i < 10; i++) alice.ws.send(`m${i}`)
    expect(await alice.closed).toEqual({ code: CloseCode.RateLimited, reason: 'message rate limit exceeded' })
    await eventually(() => expect(h.server.stats()).toMatchObject({ pipesWaiting: 0, heldFrames: 0 }))
  })

  it('a rate of 0 disables the limit', async () => {
    const h = await startServer({ introductionRate: { burst: 1, perSecond: 0 }, maxStrikes: 1 })
    const alice = await open(introductionUrl(h, 'alice'))
    for (let i = 0; i < 50; i++) alice.sendJson({ type: 'Heartbeat' })
    await roundTrip(alice)
    expect(alice.ws.readyState).toBe(alice.ws.OPEN)
  })
})

describe('per-IP connection limit', () => {
  it('refuses connections over the limit with HTTP 429, across both endpoints, until one closes', async () => {
    const h = await startServer({ maxConnectionsPerIp: 3 })
    const [first] = await joined(h, 'doc', 'a', 'b')
    const pipe = await open(connectionUrl(h, 'a', 'b', 'doc'))
    await roundTrip(pipe)
    expect(h.server.stats().pipesWaiting).toBe(1)
    const refused = await refusedUpgrade(introductionUrl(h, 'c'))
    expect(refused).toEqual({ status: 429, body: expect.objectContaining({ error: 'ip-limit' }) as object })
    await first!.close()
    await eventually(() => expect(h.server.stats().connections.introduction).toBe(1))
    await open(introductionUrl(h, 'c'))
  })

  it('behind trusted proxies, counts the client from X-Forwarded-For; otherwise the header is ignored', async () => {
    const h = await startServer({ maxConnectionsPerIp: 1, trustedProxies: 1 })
    const from = (client: string) => ({ headers: { 'X-Forwarded-For': client } })
    await open(introductionUrl(h, 'a'), from('203.0.113.7'))
    await open(introductionUrl(h, 'b'), from('198.51.100.2')) // another client behind the same proxy
    const again = await refusedUpgrade(introductionUrl(h, 'c'), { 'X-Forwarded-For': '203.0.113.7' })
    expect(again.status).toBe(429)
    // A client can't dodge the limit by writing its own entries: only the proxy's (rightmost) one counts.
    const spoofed = await refusedUpgrade(introductionUrl(h, 'd'), {
      'X-Forwarded-For': '1.2.3.4, 203.0.113.7',
    })
    expect(spoofed.status).toBe(429)

    const direct = await startServer({ maxConnectionsPerIp: 1 }) // trusts no proxy
    await open(introductionUrl(direct, 'a'), from('203.0.113.7'))
    const ignored = await refusedUpgrade(introductionUrl(direct, 'b'), { 'X-Forwarded-For': '198.51.100.2' })
    expect(ignored.status).toBe(429)
  })

  it('refused upgrades do not count against the limit', async () => {
    const h = await startServer({ maxConnectionsPerIp: 1 })
    for (let i = 0; i < 5; i++) await refusedUpgrade(`${h.ws}/nowhere`)
    await open(introductionUrl(h, 'a'))
  })
})

describe('Origin allow-list', () => {
  it('refuses other origins and missing origins with HTTP 403, accepts listed ones', async () => {
    const h = await startServer({ allowedOrigins: ['https://theatron.example'] })
    const evil = await refusedUpgrade(introductionUrl(h, 'a'), { Origin: 'https://evil.example' })
    expect(evil).toEqual({ status: 403, body: expect.objectContaining({ error: 'origin' }) as object })
    expect((await refusedUpgrade(connectionUrl(h, 'a', 'b', 'd'))).status).toBe(403)
    await open(introductionUrl(h, 'a'), { origin: 'https://theatron.example' })
    await open(connectionUrl(h, 'a', 'b', 'd'), { origin: 'https://theatron.example' })
  })

  it('without a list, any origin is accepted', async () => {
    const h = await startServer()
    await open(introductionUrl(h, 'a'), { origin: 'https://anywhere.example' })
    await open(introductionUrl(h, 'b'))
  })
})
