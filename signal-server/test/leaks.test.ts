/**
 * No leaks: after many connect/join/close and pipe cycles every map the server keeps is empty
 * again, and the heap returns near its baseline (the full 10k figure is in the benchmark).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import {
  connectionUrl,
  joined,
  eventually,
  introductionUrl,
  open,
  startServer,
  stopServers,
  type Harness,
} from './helpers.ts'

afterEach(stopServers)

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

const EMPTY = {
  connections: { introduction: 0, connection: 0 },
  peers: 0,
  documents: 0,
  pipesOpen: 0,
  pipesWaiting: 0,
  heldFrames: 0,
  heldBytes: 0,
  probes: 0,
  addresses: 0,
}

async function inBatches(count: number, size: number, cycle: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += size) {
    await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => cycle(start + k)))
  }
}

/** A peer connects, joins (meeting its pair partner), and closes. */
async function introductionCycle(h: Harness, i: number): Promise<void> {
  const client = await open(introductionUrl(h, `peer-${i}`))
  client.sendMsgpack({ type: 'Join', documentIds: [`doc-${i >> 1}`, 'lobby'] })
  client.sendJson({ type: 'Heartbeat' })
  await client.close()
}

/** A held side sends a frame, its partner arrives and receives it, one side closes, then the other. */
async function pipeCycle(h: Harness, i: number): Promise<void> {
  const peers = await joined(h, `pair${i}`, `a${i}`, `b${i}`)
  const a = await open(connectionUrl(h, `a${i}`, `b${i}`, `pair${i}`))
  await a.send(Buffer.alloc(256, i), true)
  const b = await open(connectionUrl(h, `b${i}`, `a${i}`, `pair${i}`))
  await b.next()
  await b.send('reply', false)
  await a.next()
  await (i % 2 === 0 ? a : b).close()
  await Promise.all([a.closed, b.closed])
  await Promise.all(peers.map((peer) => peer.close()))
}

/** A held side that never meets its partner. */
async function abandonedCycle(h: Harness, i: number): Promise<void> {
  const peers = await joined(h, `doc${i}`, `lonely${i}`, `nobody${i}`)
  const a = await open(connectionUrl(h, `lonely${i}`, `nobody${i}`, `doc${i}`))
  await a.send('anyone?', false)
  a.ws.terminate()
  await a.closed
  await Promise.all(peers.map((peer) => peer.close()))
}

// Hundreds of socket cycles per test: slow on a loaded machine, so a longer timeout than the default.
describe('leaks', () => {
  it('introduction cycles: every map back to zero, heap near baseline', async () => {
    const h = await startServer({ maxConnectionsPerIp: 10_000 }, 'warn')
    await inBatches(100, 50, (i) => introductionCycle(h, i)) // warm up code paths and caches
    await eventually(() => expect(h.server.stats()).toMatchObject(EMPTY))
    const baseline = heapAfterGc()
    await inBatches(1000, 50, (i) => introductionCycle(h, 1000 + i))
    await eventually(() => expect(h.server.stats()).toMatchObject(EMPTY))
    const growth = heapAfterGc() - baseline
    // A server that keeps every closed socket (as relay 4.2.2 does, ~3.5 KiB each) grows by ~3.5 MiB over
    // these cycles; the bound leaves room for the test runner's own noise.
    expect(growth).toBeLessThan(1.5 * 1024 * 1024)
  }, 60_000)

  it('pipe cycles, held frames included: every map back to zero, heap near baseline', async () => {
    const h = await startServer({ maxConnectionsPerIp: 10_000 }, 'warn')
    await inBatches(50, 25, (i) => pipeCycle(h, i))
    await inBatches(50, 25, (i) => abandonedCycle(h, i))
    await eventually(() => expect(h.server.stats()).toMatchObject(EMPTY))
    const baseline = heapAfterGc()
    await inBatches(500, 25, (i) => pipeCycle(h, 1000 + i))
    await inBatches(300, 50, (i) => abandonedCycle(h, 1000 + i))
    await eventually(() => expect(h.server.stats()).toMatchObject(EMPTY))
    const growth = heapAfterGc() - baseline
    expect(growth).toBeLessThan(1.5 * 1024 * 1024)
    expect(h.server.stats().bytesPiped).toBe(550 * (256 + 5))
  }, 60_000)

  it('duplicate-id probes leave nothing behind', async () => {
    const h = await startServer({ duplicateProbeMs: 20, maxConnectionsPerIp: 10_000 }, 'warn')
    await inBatches(200, 50, async (i) => {
      const stale = await open(introductionUrl(h, `dup-${i}`), { autoPong: false })
      const fresh = await open(introductionUrl(h, `dup-${i}`))
      await stale.closed
      await fresh.close()
    })
    await eventually(() => expect(h.server.stats()).toMatchObject(EMPTY))
  })
})
