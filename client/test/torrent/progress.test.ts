import { describe, expect, it } from 'vitest'
import { StreamError, toStreamError } from '../../src/lib/torrent/errors.ts'
import { fraction, torrentStatus, WAITING_FOR_PEERS_MS } from '../../src/lib/torrent/progress.ts'

describe('torrentStatus', () => {
  const base = { ready: false, downloaded: 0, length: 0, numPeers: 0, age: 0 }

  it('moves from metadata to waiting for peers, downloading and complete', () => {
    expect(torrentStatus(base)).toBe('fetching-metadata')
    expect(torrentStatus({ ...base, age: WAITING_FOR_PEERS_MS })).toBe('waiting-for-peers')
    expect(torrentStatus({ ...base, ready: true, length: 10, numPeers: 1, age: 9e9 })).toBe('downloading')
    expect(torrentStatus({ ...base, ready: true, length: 10, age: 9e9 })).toBe('waiting-for-peers')
    expect(torrentStatus({ ...base, ready: true, length: 10, downloaded: 10, age: 9e9 })).toBe('complete')
  })

  it('clamps progress to [0, 1]', () => {
    expect(fraction(5, 10)).toBe(0.5)
    expect(fraction(11, 10)).toBe(1)
    expect(fraction(1, 0)).toBe(0)
    expect(fraction(1, Number.NaN)).toBe(0)
  })
})

describe('toStreamError', () => {
  it.each([
    [new DOMException('over', 'QuotaExceededError'), 'storage-full'],
    [new Error('Invalid torrent identifier'), 'invalid-source'],
    [new Error("Worker isn't activated"), 'no-service-worker'],
    [new Error('torrent is destroyed'), 'destroyed'],
    [new Error('Cannot add duplicate torrent'), 'torrent-failed'],
    ['a string', 'torrent-failed'],
  ])('maps %s to %s with a message for people and the cause kept', (err, code) => {
    const mapped = toStreamError(err)
    expect(mapped).toBeInstanceOf(StreamError)
    expect(mapped.code).toBe(code)
    expect(mapped.message).toMatch(/^[A-Z].*[.…]$/)
    expect(mapped.cause).toBe(err)
  })

  it('passes StreamErrors through', () => {
    const err = new StreamError('no-playable-file')
    expect(toStreamError(err)).toBe(err)
  })
})
