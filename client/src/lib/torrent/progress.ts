/**
 * A torrent's progress as the UI shows it, computed from plain numbers so it is testable without WebTorrent.
 */

export type TorrentStatus = 'fetching-metadata' | 'waiting-for-peers' | 'downloading' | 'complete'

export interface TorrentProgress {
  infoHash: string
  status: TorrentStatus
  /** 0–1, of the file being played once one is chosen, else of the whole torrent. */
  progress: number
  downloaded: number
  length: number
  /** Bytes this tab has sent to peers of this torrent (the whole torrent, not only the file played). */
  uploaded: number
  /** Bytes this tab received from peers of this torrent (what it really downloaded, not what it resumed). */
  received: number
  /** Bytes per second. */
  downloadSpeed: number
  uploadSpeed: number
  numPeers: number
}

export interface Sample {
  ready: boolean
  downloaded: number
  length: number
  numPeers: number
  /** Milliseconds since the torrent was added. */
  age: number
}

/** After this long without a single peer, say so instead of showing a frozen bar. */
export const WAITING_FOR_PEERS_MS = 3000

export function torrentStatus(s: Sample, waitingAfterMs = WAITING_FOR_PEERS_MS): TorrentStatus {
  if (s.ready && s.length > 0 && s.downloaded >= s.length) return 'complete'
  if (s.numPeers === 0 && s.age >= waitingAfterMs) return 'waiting-for-peers'
  return s.ready ? 'downloading' : 'fetching-metadata'
}

/** Clamped to [0, 1]: WebTorrent's counters can briefly overshoot while a piece is re-verified. */
export function fraction(downloaded: number, length: number): number {
  if (!(length > 0)) return 0
  return Math.min(1, Math.max(0, downloaded / length))
}
