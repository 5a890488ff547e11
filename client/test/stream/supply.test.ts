/**
 * The supply a member reports to playback sync while it plays a dropped film: its torrent's rate only when the
 * torrent is what the player reads.
 */
import { describe, expect, it } from 'vitest'
import { playedSupply } from '../../src/lib/stream/supply.ts'
import { INITIAL_READINESS, updateReadiness, type Supply } from '../../src/lib/sync/hold.ts'
import type { TorrentProgress } from '../../src/lib/torrent/progress.ts'
import { snapshotOf } from '../sync/snapshot.ts'

/** A 1 GB film's torrent, just added: a few pieces in, nearly nothing arriving. */
const starting: TorrentProgress = {
  infoHash: 'a'.repeat(40),
  status: 'downloading',
  progress: 0.01,
  downloaded: 10_000_000,
  length: 1_000_000_000,
  uploaded: 0,
  received: 10_000_000,
  downloadSpeed: 20_000,
  uploadSpeed: 0,
  numPeers: 1,
}
const DURATION_S = 1000

/** As sync/session.ts hands it to the hold. */
function asSupply(file: ReturnType<typeof playedSupply>): Supply | null {
  return file && { ...file, bytesPerMediaSecond: file.length / DURATION_S }
}

/** A member held by the room at the held position, paused with `ahead` seconds buffered: ready again? */
function readyAgain(supply: Supply | null, ahead: number): boolean {
  const stalled = { ...INITIAL_READINESS, stalled: true }
  const snapshot = snapshotOf({ paused: true, bufferedAhead: ahead, duration: DURATION_S, currentTime: 500 })
  return !updateReadiness(stalled, snapshot, 1, 10_000, supply).stalled
}

describe('playedSupply', () => {
  it('is unknown while the owner serves what the torrent lacks: the hold looks at the buffer alone', () => {
    expect(playedSupply(starting, true)).toBeNull()
    // A member paused with 3 s buffered stands ready; counting the torrent's 20 kB/s would ask for 10 s.
    expect(readyAgain(asSupply(playedSupply(starting, true)), 3)).toBe(true)
    expect(readyAgain(asSupply(playedSupply(starting, false)), 3)).toBe(false)
  })

  it("is the torrent's rate when the torrent is what the player reads (the owner is gone)", () => {
    expect(playedSupply(starting, false)).toEqual({
      downloadBps: 20_000,
      length: 1_000_000_000,
      complete: false,
    })
  })

  it('is complete once the torrent has every byte, whoever else serves', () => {
    const complete = { ...starting, status: 'complete' as const, progress: 1, downloaded: starting.length }
    expect(playedSupply(complete, true)).toEqual({
      downloadBps: 20_000,
      length: 1_000_000_000,
      complete: true,
    })
  })

  it('is unknown without a torrent', () => {
    expect(playedSupply(undefined, false)).toBeNull()
    expect(playedSupply({ ...starting, length: 0 }, false)).toBeNull()
  })
})
