/**
 * Several instances sharing one real Redis: introductions, Leave and closes, pipes, duplicate ids
 * across instances, an instance killed with SIGKILL, and Redis going away and coming back.
 */
import { randomBytes } from 'node:crypto'
import { Client as RelayClient } from '@localfirst/relay/Client.js'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import {
  kill,
  spawnInstance,
  startInstance,
  startRedis,
  stopCluster,
  until,
  type RedisServer,
} from './cluster-helpers.ts'
import { expectSlowReaderBounded, joinedEverywhere } from './cluster-pipes.ts'
import {
  connectionUrl,
  joined,
  introductionUrl,
  jsonPeer,
  metricsText,
  msgpackPeer,
  open,
  roundTrip,
  sample,
  type Client,
  type Harness,
} from './helpers.ts'

afterEach(stopCluster)

async function twoInstances(): Promise<{ redis: RedisServer; a: Harness; b: Harness }> {
  const redis = await startRedis()
  const [a, b] = await Promise.all([startInstance(redis), startInstance(redis)])
  return { redis, a, b }
}

/** alice registered on `a`, bob on `b`, both joined to `doc` and seen so everywhere: what a pipe needs. */
async function registeredApart(a: Harness, b: Harness): Promise<void> {
  await joined(a, 'doc', 'alice')
  await joined(b, 'doc', 'bob')
  await joinedEverywhere('alice', 'doc', a, b)
  await joinedEverywhere('bob', 'doc', a, b)
}

describe('introductions across instances', () => {
  it('introduces peers on different instances once each way, in each peer’s dialect', async () => {
    const { a, b } = await twoInstances()
    const alice = await msgpackPeer(a, 'alice', ['doc-1', 'doc-2'])
    await joinedEverywhere('alice', 'doc-2', a, b)
    const bob = await jsonPeer(b, 'bob', ['doc-2', 'doc-3'])
    expect(await alice.nextMessage()).toEqual({ type: 'Introduction', peerId: 'bob', documentIds: ['doc-2'] })
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', id: 'alice', keys: ['doc-2'] })
    // Once: the next message each sees is about the next peer, not bob or alice again.
    await joinedEverywhere('bob', 'doc-3', a, b)
    const carol = await jsonPeer(a, 'carol', ['doc-3'])
    expect(await bob.nextMessage()).toEqual({ type: 'Introduction', id: 'carol', keys: ['doc-3'] })
    expect(await carol.nextMessage()).toEqual({ type: 'Introduction', id: 'bob', keys: ['doc-3'] })
    expect(alice.pending).toEqual([])
  })

  it('peers joining at the same moment on two instances still meet', async () => {
    const { a, b } = await twoInstances()
    for (let round = 0; round < 20; round++) {
      const doc = `race-${round}`
      const [x, y] = await Promise.all([
        msgpackPeer(a, `x${round}`, [doc]),
        msgpackPeer(b, `y${round}`, [doc]),
      ])
      expect(await x.nextMessage()).toMatchObject({ peerId: `y${round}`, documentIds: [doc] })
      expect(await y.nextMessage()).toMatchObject({ peerId: `x${round}`, documentIds: [doc] })
    }
  })

  it('sees a Leave and a close on any instance: no introduction to a peer that left', async () => {
    const { redis, a, b } = await twoInstances()
    const alice = await msgpackPeer(a, 'alice', ['doc'])
    const gone = await msgpackPeer(a, 'gone', ['doc'])
    expect(await alice.nextMessage()).toMatchObject({ peerId: 'gone' })
    await joinedEverywhere('gone', 'doc', b)
    alice.sendMsgpack({ type: 'Leave', documentIds: ['doc'] })
    await gone.close()
    await until(async () => !(await b.server.presence.isJoined('alice', 'doc')))
    await until(async () => !(await b.server.presence.isJoined('gone', 'doc')))
    const bob = await msgpackPeer(b, 'bob', ['doc'])
    await joinedEverywhere('bob', 'doc', a)
    const carol = await msgpackPeer(a, 'carol', ['doc'])
    // bob's first introduction is carol: nobody who left was introduced to him.
    expect(await bob.nextMessage()).toMatchObject({ peerId: 'carol' })
    expect(await carol.nextMessage()).toMatchObject({ peerId: 'bob' })
    // Closing everyone leaves nothing of them in Redis but the instances' own keys.
    await Promise.all([alice.close(), bob.close(), carol.close()])
    const client = redis.client()
    await until(async () => (await client.keys('theatron:*')).every((key) => /:insts?\b/.test(key)))
  })
})

/** Frames chosen to catch re-encoding: invalid UTF-8 in binary, multi-byte text, empty frames. */
const FRAMES: Array<{ data: Buffer | string; binary: boolean }> = [
  { data: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]), binary: true },
  { data: 'héllo wörld — 日本語 🎬', binary: false },
  { data: Buffer.alloc(0), binary: true },
  { data: '', binary: false },
  { data: randomBytes(300 * 1024), binary: true },
  { data: '{"type":"Join"}', binary: true },
]

async function expectFrames(client: Client): Promise<void> {
  for (const sent of FRAMES) {
    const received = await client.next()
    expect(received.isBinary).toBe(sent.binary)
    const expected = typeof sent.data === 'string' ? Buffer.from(sent.data, 'utf8') : sent.data
    expect(received.data.equals(expected)).toBe(true)
  }
}

describe('pipes across instances', () => {
  it('joins the two ends byte-exactly, held frames first, both ways; a close carries its code', async () => {
    const { a, b } = await twoInstances()
    await registeredApart(a, b)
    const alice = await open(connectionUrl(a, 'alice', 'bob', 'doc'))
    for (const frame of FRAMES) await alice.send(frame.data, frame.binary)
    await roundTrip(alice)
    const bob = await open(connectionUrl(b, 'bob', 'alice', 'doc'))
    await expectFrames(bob)
    for (const frame of FRAMES) await bob.send(frame.data, frame.binary)
    await expectFrames(alice)
    for (const frame of FRAMES) await alice.send(frame.data, frame.binary)
    await expectFrames(bob)
    expect(a.server.stats()).toMatchObject({ pipesOpen: 1, pipesWaiting: 0, heldFrames: 0 })
    const metrics = await metricsText(a)
    expect(sample(metrics, 'theatron_signal_pipes{kind="cross"}')).toBe(1)
    expect(sample(metrics, 'theatron_signal_cluster_bytes_total{direction="sent"}')).toBeGreaterThan(
      600 * 1024,
    )
    await bob.close(4000, 'bye')
    expect(await alice.closed).toEqual({ code: 4000, reason: 'bye' })
    await until(() => a.server.stats().pipesOpen === 0 && b.server.stats().pipesOpen === 0)
  })

  it('keeps the held-frame bounds while the partner is elsewhere', async () => {
    const redis = await startRedis()
    const a = await startInstance(redis, { held: { frames: 3 } })
    await joined(a, 'doc', 'alice', 'bob')
    await joinedEverywhere('alice', 'doc', a)
    await joinedEverywhere('bob', 'doc', a)
    const alice = await open(connectionUrl(a, 'alice', 'bob', 'doc'))
    for (let i = 0; i < 4; i++) await alice.send(Buffer.from([i]))
    expect((await alice.closed).code).toBe(CloseCode.HeldTooMuch)
  })

  it('a slow reader stops the sender through Redis: what is in flight stays bounded', async () => {
    const redis = await startRedis()
    const window = 256 * 1024
    // No secret: no direct link, so the frames and their credits go through Redis.
    const cluster = { window, secret: null }
    const [a, b] = await Promise.all([startInstance(redis, { cluster }), startInstance(redis, { cluster })])
    const sent = await expectSlowReaderBounded(a, b, window)
    const series = 'theatron_signal_cluster_path_bytes_total{direction="sent",path="redis"}'
    expect(sample(await metricsText(a), series)).toBe(sent)
  })

  it('a side waiting alone in a cluster is closed when its hold expires', async () => {
    const redis = await startRedis()
    const a = await startInstance(redis, { held: { ageMs: 300 } })
    await joined(a, 'doc', 'alice', 'bob')
    await joinedEverywhere('alice', 'doc', a)
    await joinedEverywhere('bob', 'doc', a)
    const alice = await open(connectionUrl(a, 'alice', 'bob', 'doc'))
    expect((await alice.closed).code).toBe(CloseCode.HeldTooLong)
  })
})

describe('duplicate ids across instances', () => {
  it('a live registration elsewhere refuses a tokenless claim (4409); its token takes over (4410)', async () => {
    const { a, b } = await twoInstances()
    const first = await open(introductionUrl(a, 'alice', 'secret-token-one-1234'))
    await roundTrip(first)
    const tokenless = await open(introductionUrl(b, 'alice'))
    expect((await tokenless.closed).code).toBe(CloseCode.Conflict)
    const wrong = await open(introductionUrl(b, 'alice', 'secret-token-two-1234'))
    expect((await wrong.closed).code).toBe(CloseCode.Conflict)
    const reloaded = await open(introductionUrl(b, 'alice', 'secret-token-one-1234'))
    expect((await first.closed).code).toBe(CloseCode.Superseded)
    reloaded.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await joinedEverywhere('alice', 'doc', a)
    const bob = await msgpackPeer(a, 'bob', ['doc'])
    expect(await bob.nextMessage()).toMatchObject({ peerId: 'alice' })
    expect(await reloaded.nextMessage()).toMatchObject({ peerId: 'bob' })
  })
})

describe('instance death', () => {
  it('SIGKILL: its peers leave presence, pipes to it close, its peers come back elsewhere', async () => {
    const redis = await startRedis()
    const doomed = await spawnInstance(redis)
    const survivor = await startInstance(redis)
    const alice = await open(`${doomed.ws}/introduction/alice?token=alice-token-0123456789`)
    alice.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await joinedEverywhere('alice', 'doc', survivor)
    // bob talks to the survivor through the relay client, which reports a pipe's end as peer-disconnect.
    const bob = new RelayClient({ peerId: 'bob', url: survivor.ws })
    try {
      const connected = new Promise<void>((resolve) => bob.once('peer-connect', () => resolve()))
      bob.join('doc')
      await until(() => alice.pending.length > 0)
      expect(await alice.nextMessage()).toMatchObject({ peerId: 'bob' })
      const pipe = await open(`${doomed.ws}/connection/alice/bob/doc?token=alice-token-0123456789`)
      await connected
      await until(() => survivor.server.stats().pipesOpen === 1)
      const disconnected = new Promise<void>((resolve) => bob.once('peer-disconnect', () => resolve()))
      const started = performance.now()
      await kill(doomed)
      await disconnected
      await until(async () => !(await survivor.server.presence.isJoined('alice', 'doc')), 15_000)
      expect(performance.now() - started).toBeLessThan(15_000)
      expect(pipe.ws.readyState).not.toBe(pipe.ws.OPEN)
      // alice reconnects to the survivor with her id and token, and meets bob again.
      const reconnected = new Promise<void>((resolve) => bob.once('peer-connect', () => resolve()))
      const back = await open(introductionUrl(survivor, 'alice', 'alice-token-0123456789'))
      back.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
      expect(await back.nextMessage()).toMatchObject({ peerId: 'bob' })
      await reconnected
    } finally {
      bob.disconnectServer()
    }
  })
})

describe('Redis down and back', () => {
  it('serves locally, reports degraded, and republishes presence when Redis returns', async () => {
    const { redis, a, b } = await twoInstances()
    expect((await fetch(`${a.http}/healthz`)).status).toBe(200)
    await redis.stop()
    await until(async () => (await fetch(`${a.http}/healthz`)).status === 503)
    const health = (await (await fetch(`${a.http}/healthz`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ status: 'degraded', redis: 'down' })
    expect(sample(await metricsText(a), 'theatron_signal_redis_up')).toBe(0)
    // Peers on one instance still meet.
    const carol = await msgpackPeer(a, 'carol', ['doc'])
    const dave = await msgpackPeer(a, 'dave', ['doc'])
    expect(await carol.nextMessage()).toMatchObject({ peerId: 'dave' })
    expect(await dave.nextMessage()).toMatchObject({ peerId: 'carol' })
    await redis.start()
    await until(async () => (await fetch(`${a.http}/healthz`)).status === 200)
    await until(async () => (await fetch(`${b.http}/healthz`)).status === 200)
    // carol, registered while Redis was away, is known cluster-wide again: erin on b meets her.
    await joinedEverywhere('carol', 'doc', b)
    await joinedEverywhere('dave', 'doc', b)
    const erin = await msgpackPeer(b, 'erin', ['doc'])
    const met = [await erin.nextMessage(), await erin.nextMessage()].map((m) => m.peerId).sort()
    expect(met).toEqual(['carol', 'dave'])
    for (const h of [a, b]) {
      const lost = h.takeWarnings().filter((w) => w.msg.startsWith('redis connection lost'))
      expect(lost).toHaveLength(1)
    }
  })
})
