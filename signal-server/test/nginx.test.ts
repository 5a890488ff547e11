/**
 * The repository's nginx configuration (deploy/nginx.conf) in front of three instances and one Redis,
 * all real: TLS at nginx, round robin with no stickiness, WebSocket upgrades, and peers that land on
 * different instances meeting and piping to each other through it.
 */
import { readFileSync } from 'node:fs'
import { get } from 'node:https'
import { afterEach, describe, expect, it } from 'vitest'
import { startInstance, startRedis, stopCluster, until } from './cluster-helpers.ts'
import { open, type Harness } from './helpers.ts'
import { startNginx, stopNginx, TEST_CERT } from './nginx.ts'

const ca = readFileSync(TEST_CERT)

afterEach(async () => {
  await stopNginx()
  await stopCluster()
})

function httpsJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      )
    }).on('error', reject)
  })
}

const introductions = (instances: Harness[]) =>
  instances.map((h) => h.server.stats().connections.introduction)

describe('behind nginx (deploy/nginx.conf)', () => {
  it('spreads requests round robin over the instances, and peers on different ones meet and pipe', async () => {
    const redis = await startRedis()
    const instances = await Promise.all([0, 1, 2].map(() => startInstance(redis, { trustedProxies: 1 })))
    const nginx = await startNginx(instances.map((h) => h.port))
    const wss = nginx.url.replace('https:', 'wss:')

    // Three health checks reach three different instances: round robin, no stickiness.
    const seen = new Set<unknown>()
    for (let i = 0; i < 3; i++) {
      const { status, body } = await httpsJson(`${nginx.url}/healthz`)
      expect(status).toBe(200)
      seen.add(body.instance)
    }
    expect(seen.size).toBe(3)

    // Three peers in one document, one per instance, meet each other.
    const names = ['alice', 'bob', 'carol']
    const peers = []
    for (const name of names) {
      const peer = await open(`${wss}/introduction/${name}`, { ca })
      peer.sendMsgpack({ type: 'Join', documentIds: ['room'] })
      peers.push(peer)
      // Each joins before the next arrives, so every introduction goes to the earlier ones.
      await until(async () => (await instances[0]?.server.presence.isJoined(name, 'room')) === true)
    }
    expect(introductions(instances)).toEqual([1, 1, 1])
    for (const [i, peer] of peers.entries()) {
      const met = [await peer.nextMessage(), await peer.nextMessage()].map((m) => m.peerId).sort()
      expect(met).toEqual(names.filter((_, j) => j !== i))
    }

    // A pipe whose ends land on two different instances, through nginx.
    const one = await open(`${wss}/connection/alice/bob/room`, { ca })
    await one.send('held before the partner came', false)
    const two = await open(`${wss}/connection/bob/alice/room`, { ca })
    const held = await two.next()
    expect([held.isBinary, held.data.toString()]).toEqual([false, 'held before the partner came'])
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251))
    await two.send(payload)
    const back = await one.next()
    expect(back.isBinary).toBe(true)
    expect(back.data.equals(payload)).toBe(true)
    expect(instances.reduce((sum, h) => sum + h.server.stats().crossPipes, 0)).toBe(2)
  })
})
