/**
 * When stored pieces are deleted (docs/streaming.md, "Storage"). Pure: the IndexedDB side
 * (torrent/piece-db.ts) gathers the numbers and deletes what this returns.
 *
 * - A torrent leaves storage when its item leaves the playlist (the store's `destroy`), unless another tab
 *   of this browser still holds it.
 * - A torrent no tab holds (its tab was closed, or is reloading) is kept so a reload resumes from it, but
 *   only for `ORPHAN_MAX_AGE_MS` after it was last used, and only while storage is not short.
 * - Storage is short when this origin uses more than `HIGH_WATER` of its quota: torrents no tab holds go,
 *   least recently used first, until usage is under `LOW_WATER`. Torrents a tab holds are never deleted
 *   under it; if they alone fill the quota, the write fails and the person sees "storage full".
 */

export const ORPHAN_MAX_AGE_MS = 24 * 3600 * 1000
export const HIGH_WATER = 0.8
export const LOW_WATER = 0.6

export interface StoredTorrent {
  infoHash: string
  /** Bytes of its pieces on disk. */
  bytes: number
  /** When a tab last opened it or wrote a piece (epoch milliseconds). */
  usedAt: number
  /** Whether a tab holds it now. */
  held: boolean
}

export interface StorageEstimate {
  usage: number
  quota: number
}

/** The torrents to delete, in order, given what is stored, the origin's usage and quota, and the time. */
export function chooseEvictions(
  torrents: readonly StoredTorrent[],
  estimate: StorageEstimate | null,
  now: number,
): string[] {
  const orphans = torrents.filter((t) => !t.held).sort((a, b) => a.usedAt - b.usedAt)
  const evict = new Set(orphans.filter((t) => now - t.usedAt > ORPHAN_MAX_AGE_MS).map((t) => t.infoHash))
  if (!estimate || !(estimate.quota > 0)) return [...evict]
  let usage = estimate.usage
  for (const t of orphans) if (evict.has(t.infoHash)) usage -= t.bytes
  if (usage <= estimate.quota * HIGH_WATER) return [...evict]
  for (const t of orphans) {
    if (usage <= estimate.quota * LOW_WATER) break
    if (evict.has(t.infoHash)) continue
    evict.add(t.infoHash)
    usage -= t.bytes
  }
  return [...evict]
}

/** Whether the origin's storage is short (over the high water mark). */
export function isShort(estimate: StorageEstimate | null): boolean {
  return !!estimate && estimate.quota > 0 && estimate.usage > estimate.quota * HIGH_WATER
}
