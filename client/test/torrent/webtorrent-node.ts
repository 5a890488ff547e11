/**
 * The WebTorrent the app ships (its browser build, `webtorrent/dist/webtorrent.min.js`, the module
 * torrent/client.ts imports), run in Node for tests. The build reads a few browser globals once, as it loads:
 * `self` (for `fetch` and WebCrypto), `WebSocket` (trackers) and `navigator.hardwareConcurrency`; those Node
 * lacks are stubbed for the import only. There are no trackers, DHT or service worker here: peers meet through
 * `linkedConnections`, in-memory stand-ins for the simple-peer connections room members add to a torrent.
 */
import { Duplex } from 'node:stream'
import { vi } from 'vitest'
import type WebTorrent from 'webtorrent/dist/webtorrent.min.js'
import type { WebTorrentOptions } from 'webtorrent/dist/webtorrent.min.js'

/** Nothing that looks for peers beyond the connections a test adds. */
export const OFFLINE: WebTorrentOptions = {
  dht: false,
  lsd: false,
  tracker: false,
  utPex: false,
  webSeeds: false,
}

/** The WebTorrent class of the browser build; torrent/client.ts imported after this gets the same module. */
export async function loadWebTorrent(): Promise<typeof WebTorrent> {
  vi.stubGlobal('self', globalThis)
  if (typeof WebSocket === 'undefined') vi.stubGlobal('WebSocket', class {})
  if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { hardwareConcurrency: 1 })
  try {
    return (await import('webtorrent/dist/webtorrent.min.js')).default
  } finally {
    vi.unstubAllGlobals()
  }
}

/** A connection as WebTorrent takes it from `torrent.addPeer`: a duplex stream with an id. */
export type Connection = Duplex & { id: string; connected: boolean }

/** Two ends of one connected link: what one writes, the other reads; destroying either closes both. */
export function linkedConnections(): [Connection, Connection] {
  const ends: Connection[] = []
  const end = (id: string, other: () => Connection | undefined): Connection =>
    Object.assign(
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, done) {
          other()?.push(chunk)
          done()
        },
        final(done) {
          other()?.push(null)
          done()
        },
        destroy(err, done) {
          other()?.destroy()
          done(err)
        },
      }),
      { id, connected: true },
    )
  ends.push(
    end('room-a', () => ends[1]),
    end('room-b', () => ends[0]),
  )
  return ends as [Connection, Connection]
}
