/**
 * Pipe checks shared by the cluster tests, whichever path (direct link or Redis) the two instances
 * use between them.
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { until } from './cluster-helpers.ts'
import { connectionUrl, joined, open, roundTrip, type Client, type Harness } from './helpers.ts'

/** Wait until every instance sees `peerId` joined to `documentId` (its Join reached Redis). */
export async function joinedEverywhere(
  peerId: string,
  documentId: string,
  ...instances: Harness[]
): Promise<void> {
  for (const h of instances) await until(() => h.server.presence.isJoined(peerId, documentId))
}

/** alice on `a` and bob on `b` registered and joined to `doc`, then their pipe open both ends. */
export async function pipeApart(a: Harness, b: Harness): Promise<{ alice: Client; bob: Client }> {
  await joined(a, 'doc', 'alice')
  await joined(b, 'doc', 'bob')
  for (const peer of ['alice', 'bob']) await joinedEverywhere(peer, 'doc', a, b)
  const alice = await open(connectionUrl(a, 'alice', 'bob', 'doc'))
  await roundTrip(alice)
  const bob = await open(connectionUrl(b, 'bob', 'alice', 'doc'))
  await roundTrip(bob)
  await until(() => a.server.stats().crossPipes === 1 && b.server.stats().crossPipes === 1)
  return { alice, bob }
}

/**
 * A slow reader on `b` stops its sender on `a`: alice sends far more than `window` (the instances'
 * `cluster.window`) while bob does not read. What `a` has sent to `b` and `b` has not written out yet
 * reaches the window and stays within it, plus what `a` had read before pausing (two frames); every
 * frame arrives intact once bob reads again, and the credits for them return.
 * Resolves with the bytes alice sent.
 */
export async function expectSlowReaderBounded(a: Harness, b: Harness, window: number): Promise<number> {
  const { alice, bob } = await pipeApart(a, b)
  const frameBytes = 512 * 1024
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, a.server.stats().clusterInflight)), 1)
  try {
    bob.ws.pause()
    const frames = Array.from({ length: 24 }, () => randomBytes(frameBytes))
    for (const frame of frames) alice.ws.send(frame)
    await until(() => a.server.stats().clusterInflight >= window)
    bob.ws.resume()
    for (const frame of frames) expect((await bob.next()).data.equals(frame)).toBe(true)
    expect(peak).toBeGreaterThanOrEqual(window)
    expect(peak).toBeLessThanOrEqual(window + 2 * frameBytes)
    // Credits return in quarters of the window: once bob has read everything, less than a quarter stays.
    await until(() => a.server.stats().clusterInflight < window / 4)
    return frames.length * frameBytes
  } finally {
    clearInterval(sampler)
  }
}
