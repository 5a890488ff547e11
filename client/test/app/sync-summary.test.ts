import { describe, expect, it } from 'vitest'
import { IN_SYNC_MS, syncSummary } from '../../src/lib/app/sync-summary.ts'
import type { MemberHealth } from '../../src/lib/sync/feature.ts'

const row = (name: string, driftMs: number | null, extra: Partial<MemberHealth> = {}): MemberHealth => ({
  id: name.toLowerCase(),
  name,
  self: false,
  driftMs,
  rttMs: 20,
  bufferedAhead: 10,
  stalled: false,
  holding: false,
  optOut: false,
  ...extra,
})

describe('sync summary', () => {
  it('shows the largest drift of anyone, either sign', () => {
    expect(syncSummary([row('Ana', 2, { self: true }), row('Bo', -6.4), row('Cy', 3)])).toEqual({
      state: 'in-sync',
      text: 'in sync · ±6 ms',
      worstMs: 6,
    })
  })

  it('says when someone is off by more than a frame', () => {
    const summary = syncSummary([row('Ana', 1), row('Bo', IN_SYNC_MS + 80)])
    expect(summary.state).toBe('off')
    expect(summary.text).toBe(`off by ±${IN_SYNC_MS + 80} ms`)
  })

  it('names who the room waits for, before any figure', () => {
    const summary = syncSummary([
      row('Ana', 1, { self: true, holding: true }),
      row('Bo', 900, { holding: true }),
    ])
    expect(summary).toMatchObject({ state: 'waiting', text: 'waiting for you, Bo' })
  })

  it('has no figure while nobody knows a drift', () => {
    expect(syncSummary([])).toEqual({ state: 'idle', text: 'sync', worstMs: null })
    expect(syncSummary([row('Ana', null), row('Bo', Number.NaN)]).state).toBe('idle')
  })
})
