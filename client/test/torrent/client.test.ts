/** TorrentClient with the real WebTorrent (its browser build, in Node), on fake timers and a fake clock. */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Timers } from '../../src/lib/timers.ts'
import type { TorrentClient as TorrentClientClass } from '../../src/lib/torrent/client.ts'
import type { TorrentProgress } from '../../src/lib/torrent/progress.ts'
import { loadWebTorrent } from './webtorrent-node.ts'

let TorrentClient: typeof TorrentClientClass

beforeAll(async () => {
  await loadWebTorrent() // loads WebTorrent's browser build in Node; client.ts then imports the same module
  TorrentClient = (await import('../../src/lib/torrent/client.ts')).TorrentClient
})

/** Timers that run only when a test says so. */
function manualTimers() {
  const intervals = new Map<object, { fn: () => void; ms: number }>()
  const timers: Timers = {
    setTimeout: () => {
      throw new Error('TorrentClient sets no timeouts')
    },
    clearTimeout: () => {},
    setInterval: (fn, ms) => {
      const handle = {}
      intervals.set(handle, { fn, ms })
      return handle
    },
    clearInterval: (handle) => intervals.delete(handle as object),
  }
  const tick = () => [...intervals.values()].forEach(({ fn }) => fn())
  return { timers, intervals, tick }
}

describe('TorrentClient', () => {
  it('reports progress on the timers it is given, and ages torrents by its clock', async () => {
    const { timers, intervals, tick } = manualTimers()
    let now = 50_000
    const client = new TorrentClient({
      trackers: [],
      timers,
      now: () => now,
      progressIntervalMs: 250,
      waitingForPeersMs: 3000,
    })
    expect([...intervals.values()].map(({ ms }) => ms)).toEqual([250])
    const statuses: TorrentProgress['status'][] = []
    client.on('progress', ({ status }) => statuses.push(status))
    const infoHash = '0123456789abcdef0123456789abcdef01234567'
    void client.add({ infoHash, magnet: `magnet:?xt=urn:btih:${infoHash}` })
    tick()
    now += 2999
    tick()
    now += 1
    tick()
    // No peer and no metadata: after `waitingForPeersMs` by the given clock, it says so.
    expect(statuses).toEqual(['fetching-metadata', 'fetching-metadata', 'waiting-for-peers'])
    await client.destroy()
    expect(intervals.size).toBe(0)
  })
})
