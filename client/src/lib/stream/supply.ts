/**
 * The played file's supply, as playback sync sees it to hold before a stall (sync/hold.ts `Supply`): how fast
 * its torrent brings bytes, its length, whether it is all here.
 *
 * A member playing a dropped film reads every span its torrent lacks from the film's owner over the range
 * protocol (torrent/prefer-torrent.ts) while the owner is reachable. Those bytes come as the player asks for
 * them, so no download rate says how far ahead they could go, and the torrent's own rate (near zero while it
 * has just started, or while the owner still hashes for others) is not what the player reads: counting it
 * would predict a stall on a full buffer and hold the room for nothing. The supply is then unknown, and the
 * hold looks at the buffer alone.
 */
import type { FileSupply } from '../sync/session.ts'
import type { TorrentProgress } from '../torrent/progress.ts'

/** `ownerServes`: the player's source reads what the torrent lacks from the owner (range protocol). */
export function playedSupply(progress: TorrentProgress | undefined, ownerServes: boolean): FileSupply | null {
  if (!progress || progress.length <= 0) return null
  const complete = progress.status === 'complete'
  if (ownerServes && !complete) return null
  return { downloadBps: progress.downloadSpeed, length: progress.length, complete }
}
