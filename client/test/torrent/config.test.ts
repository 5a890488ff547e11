import { describe, expect, it } from 'vitest'
import { shareEarly, streamVia } from '../../src/lib/torrent/config.ts'
import { expectWarning } from '../console.ts'

const storage = (values: Record<string, string>) => ({ getItem: (key: string) => values[key] ?? null })

describe('streaming settings', () => {
  it('shares a dropped film early unless turned off', () => {
    expect(shareEarly(storage({}))).toBe(true)
    expect(shareEarly(storage({ 'theatron:share-early': 'off' }))).toBe(false)
    expect(shareEarly(storage({ 'theatron:share-early': 'on' }))).toBe(true)
  })

  it('ignores a value it does not know, with a warning', () => {
    expect(shareEarly(storage({ 'theatron:share-early': 'yes' }))).toBe(true)
    expectWarning(/invalid share-early/)
    expect(streamVia(storage({ 'theatron:stream-via': 'sw' }))).toBe('auto')
    expectWarning(/invalid stream-via/)
    expect(streamVia(storage({ 'theatron:stream-via': 'worker' }))).toBe('worker')
  })
})
