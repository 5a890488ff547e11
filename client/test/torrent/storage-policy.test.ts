import { describe, expect, it } from 'vitest'
import {
  chooseEvictions,
  isShort,
  ORPHAN_MAX_AGE_MS,
  type StoredTorrent,
} from '../../src/lib/torrent/storage-policy.ts'

const NOW = 10 * ORPHAN_MAX_AGE_MS
const t = (infoHash: string, bytes: number, age: number, held = false): StoredTorrent => ({
  infoHash,
  bytes,
  usedAt: NOW - age,
  held,
})

describe('chooseEvictions', () => {
  it('deletes torrents no tab holds once they are old, and none a tab holds', () => {
    const torrents = [
      t('old', 1, ORPHAN_MAX_AGE_MS + 1),
      t('recent', 1, 1000),
      t('held', 1, 2 * ORPHAN_MAX_AGE_MS, true),
    ]
    expect(chooseEvictions(torrents, { usage: 3, quota: 100 }, NOW)).toEqual(['old'])
    expect(chooseEvictions(torrents, null, NOW)).toEqual(['old'])
  })

  it('when storage is short, deletes unheld torrents least recently used first, down to the low water mark', () => {
    const torrents = [t('a', 30, 3000), t('b', 30, 1000), t('c', 30, 2000), t('mine', 30, 0, true)]
    expect(isShort({ usage: 95, quota: 100 })).toBe(true)
    expect(chooseEvictions(torrents, { usage: 95, quota: 100 }, NOW)).toEqual(['a', 'c'])
    expect(chooseEvictions(torrents, { usage: 70, quota: 100 }, NOW)).toEqual([])
  })

  it('never deletes a held torrent, even when held torrents alone fill the quota', () => {
    expect(chooseEvictions([t('mine', 100, 0, true)], { usage: 100, quota: 100 }, NOW)).toEqual([])
  })
})
