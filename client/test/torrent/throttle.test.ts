/**
 * `TorrentClient.throttleUpload` (the benchmarks' starved hold) with the real WebTorrent, its browser build in
 * Node: a seeder whose cap drops while a block waits for it keeps its connection, and the leecher completes
 * once the cap is lifted.
 */
import { afterEach, beforeAll, expect, it } from 'vitest'
import type WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { Torrent, WebRtcPeer } from 'webtorrent/dist/webtorrent.min.js'
import type { TorrentClient as TorrentClientClass } from '../../src/lib/torrent/client.ts'
import { linkedConnections, loadWebTorrent, OFFLINE, type Connection } from './webtorrent-node.ts'

/** 32 pieces of 16 KiB. */
const DATA = Uint8Array.from({ length: 32 * 16384 }, (_, i) => (i * 7 + (i >> 9)) % 251)

let WebTorrentClass: typeof WebTorrent
let TorrentClient: typeof TorrentClientClass
const closing: (() => Promise<void>)[] = []

beforeAll(async () => {
  WebTorrentClass = await loadWebTorrent()
  TorrentClient = (await import('../../src/lib/torrent/client.ts')).TorrentClient
})

afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()))
})

function leecherOf(torrentFile: Uint8Array): Torrent {
  const client = new WebTorrentClass(OFFLINE)
  closing.push(() => new Promise<void>((resolve) => client.destroy(() => resolve())))
  return client.add(torrentFile, { announce: [] })
}

/** The next chunk the leecher's end receives from the seeder, or 'closed' if the link closes first. */
function nextBytes(end: Connection): Promise<'bytes' | 'closed'> {
  return new Promise((resolve) => {
    end.once('data', () => resolve('bytes'))
    end.once('close', () => resolve('closed'))
  })
}

it('keeps the connection when a lower upload cap comes while a block waits for the cap, and the leecher completes once it is lifted', async () => {
  const seeder = new TorrentClient({ trackers: [], pieces: null, hashWorkers: 0 })
  closing.push(() => seeder.destroy())
  const { infoHash } = await seeder.seed([new File([DATA], 'clip.bin')])
  const torrentFile = seeder.torrentFile(infoHash)
  if (!torrentFile) throw new Error('no .torrent')
  const leecher = leecherOf(torrentFile)
  await new Promise((resolve) => leecher.once('ready', resolve))

  // 20 kB/s: WebTorrent's limiter sends a block in slices of 2000 bytes, each waiting ~100 ms for the cap.
  seeder.throttleUpload(20_000)
  const [seederEnd, leecherEnd] = linkedConnections()
  const closed = new Promise<'closed'>((resolve) => leecherEnd.once('close', () => resolve('closed')))
  seeder.addPeer(infoHash, seederEnd as unknown as WebRtcPeer)
  leecher.addPeer(leecherEnd as unknown as WebRtcPeer)
  // A slice of a block just came out of the limiter: the next one now waits for the cap ...
  await new Promise<void>((resolve) => {
    const onData = (chunk: Uint8Array) => {
      if (chunk.length !== 2000) return
      leecherEnd.off('data', onData)
      resolve()
    }
    leecherEnd.on('data', onData)
  })
  // ... and the cap drops to 1 kB/s (in the next task, while that slice still waits: ~100 ms).
  await new Promise((resolve) => setImmediate(resolve))
  seeder.throttleUpload(1000)

  expect(await nextBytes(leecherEnd)).toBe('bytes') // the starved link still carries bytes
  seeder.throttleUpload(null)
  const done = new Promise<'done'>((resolve) => leecher.once('done', () => resolve('done')))
  expect(await Promise.race([done, closed])).toBe('done')
  expect(leecher.downloaded).toBe(DATA.length)
})
