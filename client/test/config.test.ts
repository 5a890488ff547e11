import { describe, expect, it } from 'vitest'
import { iceRelayOnly } from '../src/lib/config.ts'

function storage(entries: Record<string, string>): Storage {
  const map = new Map(Object.entries(entries))
  return { getItem: (key: string) => map.get(key) ?? null } as Storage
}

describe('iceRelayOnly', () => {
  it.each([
    [{}, false],
    [{ 'theatron:ice-relay-only': '1' }, true],
    [{ 'theatron:ice-relay-only': 'true' }, true],
    [{ 'theatron:ice-relay-only': '0' }, false],
    [{ 'theatron:ice-relay-only': 'yes please' }, false],
  ])('%j → %s', (entries, relayOnly) => {
    expect(iceRelayOnly(storage(entries))).toBe(relayOnly)
  })
})
