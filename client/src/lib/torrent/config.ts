/**
 * Streaming configuration, per browser in localStorage or at build time through Vite env variables:
 *
 * - `theatron:trackers` / VITE_TRACKERS: JSON array of WebSocket tracker URLs added to every torrent
 *   (default: TorrentClient's DEFAULT_TRACKERS). `[]` turns them off: tests, benchmarks and offline rooms,
 *   where room members are the only peers. A magnet's own trackers are used either way.
 * - `theatron:stream-via` / VITE_STREAM_VIA: `worker` plays every torrent through WebTorrent's service worker;
 *   by default (`auto`) a WebM or MP4 is appended by the page through Media Source Extensions (media/mse.ts). An escape
 *   hatch for a browser whose MSE misbehaves, and how tests cover both paths.
 * - `theatron:share-early` / VITE_SHARE_EARLY: by default (`on`) a dropped WebM or MP4 of 32 MiB or more is
 *   shared before it is hashed, the others reading it from the dropper until its torrent exists
 *   (docs/streaming.md, "Streaming before the torrent exists"); `off` waits for the torrent, as a smaller
 *   file always does.
 */
import { twoWaySetting } from '../config.ts'

export function trackerList(storage: Pick<Storage, 'getItem'>): readonly string[] | undefined {
  const configured = storage.getItem('theatron:trackers') ?? import.meta.env.VITE_TRACKERS
  if (typeof configured !== 'string') return undefined
  try {
    const parsed: unknown = JSON.parse(configured)
    if (Array.isArray(parsed) && parsed.every((t) => typeof t === 'string' && /^wss?:\/\//.test(t))) {
      return parsed as string[]
    }
  } catch {
    // fall through to the default
  }
  console.warn('theatron: ignoring invalid trackers configuration')
  return undefined
}

export type StreamVia = 'auto' | 'worker'

export function streamVia(storage: Pick<Storage, 'getItem'>): StreamVia {
  return twoWaySetting(storage, 'stream-via', import.meta.env.VITE_STREAM_VIA, ['auto', 'worker'])
}

export function shareEarly(storage: Pick<Storage, 'getItem'>): boolean {
  return twoWaySetting(storage, 'share-early', import.meta.env.VITE_SHARE_EARLY, ['on', 'off']) === 'on'
}
