import { describe, expect, it } from 'vitest'
import { JoinLimitError, Registry } from '../src/registry.ts'

const entries = (introductions: Map<string, string[]>) =>
  Object.fromEntries([...introductions].map(([peer, ids]) => [peer, [...ids].sort()]))

describe('Registry', () => {
  it('introduces nobody to the first peer of a document', () => {
    const registry = new Registry(64)
    expect(entries(registry.join('a', ['doc']))).toEqual({})
  })

  it('introduces the joiner to every peer of the joined documents, with all shared ids', () => {
    const registry = new Registry(64)
    registry.join('a', ['d1', 'd2', 'd3'])
    registry.join('b', ['d2'])
    registry.join('c', ['x'])
    expect(entries(registry.join('z', ['d1', 'd2', 'x']))).toEqual({
      a: ['d1', 'd2'],
      b: ['d2'],
      c: ['x'],
    })
  })

  it('lists ids shared from earlier joins too, not only the ones just joined', () => {
    const registry = new Registry(64)
    registry.join('a', ['d1', 'd2'])
    registry.join('b', ['d1'])
    expect(entries(registry.join('b', ['d2']))).toEqual({ a: ['d1', 'd2'] })
  })

  it('re-introduces on a repeated Join (as relay does), and ignores duplicate ids in one Join', () => {
    const registry = new Registry(64)
    registry.join('a', ['d'])
    registry.join('b', ['d'])
    expect(entries(registry.join('b', ['d', 'd']))).toEqual({ a: ['d'] })
    expect(registry.documentsOf('b').size).toBe(1)
  })

  it('Leave stops introductions for that document only', () => {
    const registry = new Registry(64)
    registry.join('a', ['d1', 'd2'])
    registry.leave('a', ['d1'])
    expect(entries(registry.join('b', ['d1']))).toEqual({})
    expect(entries(registry.join('b', ['d2']))).toEqual({ a: ['d2'] })
  })

  it('leaving unknown documents or as an unknown peer changes nothing', () => {
    const registry = new Registry(64)
    registry.leave('ghost', ['d'])
    registry.join('a', ['d'])
    registry.leave('a', ['other'])
    expect(registry.documentCount).toBe(1)
  })

  it('forgets documents nobody is interested in, and peers that are removed', () => {
    const registry = new Registry(64)
    registry.join('a', ['d1', 'd2'])
    registry.join('b', ['d2'])
    registry.leave('a', ['d1'])
    expect(registry.documentCount).toBe(1)
    registry.remove('a')
    registry.remove('b')
    registry.remove('b')
    expect(registry.documentCount).toBe(0)
    expect(registry.peerCount).toBe(0)
  })

  it('caps documents per peer, all or nothing', () => {
    const registry = new Registry(3)
    registry.join('a', ['d1', 'd2'])
    expect(() => registry.join('a', ['d3', 'd4'])).toThrow(JoinLimitError)
    expect([...registry.documentsOf('a')].sort()).toEqual(['d1', 'd2'])
    expect(registry.documentCount).toBe(2)
    // Re-joining ids already held does not count against the cap.
    expect(() => registry.join('a', ['d1', 'd2', 'd3', 'd3'])).not.toThrow()
    expect(() => registry.join('a', ['d4'])).toThrow(JoinLimitError)
    expect(new JoinLimitError('x').code).toBe('too-many-documents')
  })

  it('a Join costs O(peers in the joined documents): 10k peers elsewhere are never visited', () => {
    const registry = new Registry(64)
    for (let i = 0; i < 10_000; i++) registry.join(`other-${i}`, [`elsewhere-${i % 100}`])
    registry.join('a', ['doc'])
    // Peers of other documents are never introduced...
    expect(entries(registry.join('b', ['doc']))).toEqual({ a: ['doc'] })
    // ...and a peer in a busy document meets exactly that document's peers.
    const busy = registry.join('c', ['elsewhere-7'])
    expect(busy.size).toBe(100)
    // Timing: 1000 joins into a 2-peer document stay cheap with 10k peers registered.
    const start = performance.now()
    for (let i = 0; i < 1000; i++) registry.join(`pair-${i}`, [`pair-doc-${i}`])
    expect(performance.now() - start).toBeLessThan(200)
  })
})
