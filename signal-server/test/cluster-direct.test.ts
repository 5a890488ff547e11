/**
 * Pipes between instances over their direct connections (cluster/direct.ts), with one real Redis for
 * discovery and pairing: byte-exact order, a slow reader bounded, strangers refused at the internal
 * listener, Redis as the fallback when no direct link can be proven, and an instance killed mid-pipe.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CHALLENGE_BYTES, MAC_BYTES, dial, parseAddress } from '../src/cluster/direct-wire.ts'
import {
  kill,
  spawnInstance,
  startInstance,
  startRedis,
  stopCluster,
  until,
  TEST_CLUSTER_SECRET,
  type RedisServer,
} from './cluster-helpers.ts'
import { expectSlowReaderBounded, joinedEverywhere, pipeApart } from './cluster-pipes.ts'
import {
  connectionUrl,
  joined,
  metricsText,
  open,
  roundTrip,
  sample,
  type Client,
  type Harness,
} from './helpers.ts'

afterEach(stopCluster)

/** Two instances whose direct links are up both ways. */
async function directPair(
  options: { window?: number } = {},
): Promise<{ redis: RedisServer; a: Harness; b: Harness }> {
  const redis = await startRedis()
  const cluster = options.window === undefined ? {} : { window: options.window }
  const [a, b] = await Promise.all([startInstance(redis, { cluster }), startInstance(redis, { cluster })])
  await until(() => a.server.stats().directLinks === 1 && b.server.stats().directLinks === 1)
  return { redis, a, b }
}

async function pathBytes(
  h: Harness,
  direction: 'sent' | 'received',
  path: 'direct' | 'redis',
): Promise<number> {
  const series = `theatron_signal_cluster_path_bytes_total{direction="${direction}",path="${path}"}`
  return sample(await metricsText(h), series) ?? 0
}

/** Many frames of both types and every size class, each one distinct. */
function mixedFrames(count: number): Array<{ data: Buffer; binary: boolean }> {
  const sizes = [0, 1, 8, 9, 100, 1024, 64 * 1024 + 3, 300 * 1024]
  return Array.from({ length: count }, (_, i) => {
    const binary = i % 3 !== 0
    const size = sizes[i % sizes.length] as number
    const data = binary ? randomBytes(size) : Buffer.from(`${i}:${'é'.repeat(size >> 1)}`, 'utf8')
    return { data, binary }
  })
}

async function expectInOrder(
  client: Client,
  frames: Array<{ data: Buffer; binary: boolean }>,
): Promise<void> {
  for (const [i, sent] of frames.entries()) {
    const received = await client.next()
    expect({ i, binary: received.isBinary }).toEqual({ i, binary: sent.binary })
    expect(received.data.equals(sent.data)).toBe(true)
  }
}

/** The address instance `h` publishes for its direct listener. */
async function internalAddress(redis: RedisServer, h: Harness): Promise<{ host: string; port: number }> {
  const health = (await (await fetch(`${h.http}/healthz`)).json()) as { instance: string }
  const published = await redis.client().get(`theatron:inst:${health.instance}`)
  const address = parseAddress(published ?? '')
  if (address === null) throw new Error(`no direct address published: ${published}`)
  return address
}

/** A raw TCP connection to an internal listener; resolves once it has sent its challenge. */
async function stranger(address: {
  host: string
  port: number
}): Promise<{ socket: Socket; challenge: Buffer }> {
  const socket = connect(address.port, address.host)
  socket.on('error', () => {})
  const [challenge] = (await once(socket, 'data')) as [Buffer]
  return { socket, challenge }
}

describe('pipes over direct connections between instances', () => {
  it('carries frames byte-exactly and in order, both ways, without Redis', async () => {
    const { a, b } = await directPair()
    const { alice, bob } = await pipeApart(a, b)
    const there = mixedFrames(200)
    for (const frame of there) alice.ws.send(frame.data, { binary: frame.binary })
    await expectInOrder(bob, there)
    const back = mixedFrames(120)
    for (const frame of back) bob.ws.send(frame.data, { binary: frame.binary })
    await expectInOrder(alice, back)
    const bytes = (frames: typeof there) => frames.reduce((sum, frame) => sum + frame.data.length, 0)
    expect(await pathBytes(a, 'sent', 'direct')).toBe(bytes(there))
    expect(await pathBytes(b, 'received', 'direct')).toBe(bytes(there))
    expect(await pathBytes(b, 'sent', 'direct')).toBe(bytes(back))
    expect(await pathBytes(a, 'sent', 'redis')).toBe(0)
    expect(await pathBytes(b, 'sent', 'redis')).toBe(0)
    // A close follows the last frames on the same path and keeps its code.
    alice.ws.send('last')
    await alice.close(4001, 'done')
    expect((await bob.next()).data.toString()).toBe('last')
    expect(await bob.closed).toEqual({ code: 4001, reason: 'done' })
  })

  it('frames held before the pairing and sent as it opens arrive whole and in order', async () => {
    // The held frames leave direct as soon as the pipe opens on alice's side; they reach bob's instance
    // before or after the 'paired' that opens his side (through Redis), so a large binary frame is
    // taken whole there or passed on in pieces.
    const { a, b } = await directPair()
    await joined(a, 'doc', 'alice')
    await joined(b, 'doc', 'bob')
    for (const peer of ['alice', 'bob']) await joinedEverywhere(peer, 'doc', a, b)
    const alice = await open(connectionUrl(a, 'alice', 'bob', 'doc'))
    const held = [
      { data: randomBytes(700 * 1024), binary: true },
      { data: Buffer.from('between'), binary: false },
      { data: randomBytes(200 * 1024), binary: true },
    ]
    for (const frame of held) await alice.send(frame.data, frame.binary)
    await roundTrip(alice)
    const bob = await open(connectionUrl(b, 'bob', 'alice', 'doc'))
    // Within the held-frame bounds: the rest goes once alice's side is piped.
    await until(() => a.server.stats().crossPipes === 1)
    const after = mixedFrames(40)
    for (const frame of after) alice.ws.send(frame.data, { binary: frame.binary })
    await expectInOrder(bob, [...held, ...after])
    const bytes = [...held, ...after].reduce((sum, frame) => sum + frame.data.length, 0)
    expect(await pathBytes(b, 'received', 'direct')).toBe(bytes)
  })

  it('a slow reader stops the sender: what is in flight stays within the window', async () => {
    const window = 256 * 1024
    const { a, b } = await directPair({ window })
    const sent = await expectSlowReaderBounded(a, b, window)
    expect(await pathBytes(a, 'sent', 'direct')).toBe(sent)
  })
})

describe('the internal listener', () => {
  it('refuses a connection that does not prove the shared secret, and never reads its frames', async () => {
    const { redis, a } = await directPair()
    const address = await internalAddress(redis, a)

    const garbage = await stranger(address)
    expect(garbage.challenge.length).toBe(CHALLENGE_BYTES)
    const closed = once(garbage.socket, 'close')
    garbage.socket.write(Buffer.alloc(200, 0x41))
    await closed

    const wrong = await stranger(address)
    const instance = ((await (await fetch(`${a.http}/healthz`)).json()) as { instance: string }).instance
    const proof = dial('not-the-cluster-secret', wrong.challenge, 'intruder', instance, randomBytes(32))
    let answered = 0
    wrong.socket.on('data', (chunk: Buffer) => (answered += chunk.length))
    const wrongClosed = once(wrong.socket, 'close')
    wrong.socket.write(proof as Buffer)
    await wrongClosed
    expect(answered).toBe(0)

    const refusals = a.takeWarnings().filter((w) => w.msg === 'refused an internal connection')
    expect(refusals).toHaveLength(2)
    expect(a.server.stats().directLinks).toBe(1)

    // The same exchange with the right secret is answered: the refusals above are the secret's doing.
    const right = await stranger(address)
    right.socket.write(
      dial(TEST_CLUSTER_SECRET, right.challenge, 'friend', instance, randomBytes(32)) as Buffer,
    )
    const [answer] = (await once(right.socket, 'data')) as [Buffer]
    expect(answer.length).toBe(MAC_BYTES)
    right.socket.destroy()
  })
})

describe('fallback to Redis', () => {
  it('instances that cannot prove a direct link pipe through Redis, byte-exactly', async () => {
    const redis = await startRedis()
    const a = await startInstance(redis, { cluster: { secret: 'one-secret-for-instance-a' } })
    const b = await startInstance(redis, { cluster: { secret: 'another-secret-for-instance-b' } })
    // Each dials the other and is refused: both ends log it, and no link comes up.
    await until(() => [a, b].every((h) => h.warnings.some((w) => w.msg === 'refused an internal connection')))
    await until(() => [a, b].every((h) => h.warnings.some((w) => w.msg.startsWith('direct link refused'))))
    for (const h of [a, b]) h.takeWarnings()
    expect(a.server.stats().directLinks + b.server.stats().directLinks).toBe(0)
    const { alice, bob } = await pipeApart(a, b)
    const frames = mixedFrames(40)
    for (const frame of frames) alice.ws.send(frame.data, { binary: frame.binary })
    await expectInOrder(bob, frames)
    const total = frames.reduce((sum, frame) => sum + frame.data.length, 0)
    expect(await pathBytes(a, 'sent', 'redis')).toBe(total)
    expect(await pathBytes(a, 'sent', 'direct')).toBe(0)
    for (const h of [a, b]) h.takeWarnings()
  })
})

describe('instance death', () => {
  it('SIGKILL of the other end closes a pipe that runs over a direct link', async () => {
    const redis = await startRedis()
    const doomed = await spawnInstance(redis)
    const survivor = await startInstance(redis)
    await until(() => survivor.server.stats().directLinks === 1)
    const registration = await open(`${doomed.ws}/introduction/alice`)
    registration.sendMsgpack({ type: 'Join', documentIds: ['doc'] })
    await joined(survivor, 'doc', 'bob')
    await joinedEverywhere('alice', 'doc', survivor)
    const alice = await open(`${doomed.ws}/connection/alice/bob/doc`)
    await roundTrip(alice)
    const bob = await open(connectionUrl(survivor, 'bob', 'alice', 'doc'))
    alice.ws.send(Buffer.from('hello'))
    expect((await bob.next()).data.toString()).toBe('hello')
    expect(await pathBytes(survivor, 'received', 'direct')).toBe(5)
    await kill(doomed)
    expect((await bob.closed).code).toBe(1000)
    await until(() => survivor.server.stats().crossPipes === 0)
  })
})
