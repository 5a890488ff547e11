import { describe, expect, it } from 'vitest'
import type { ClockPing, ClockPong } from '../../src/lib/sync/clock.ts'
import { FRAME_SWITCH_TIMEOUT_MS, MemberClocks } from '../../src/lib/sync/member-clocks.ts'

/** True time of the test, ms; every member's app clock is this plus its skew. */
let trueNow = 0

/** Members whose clocks ping each other with zero latency, driven in 50 ms steps. */
function room(skews: Record<string, number>) {
  trueNow = 1_000_000
  const members = new Map<string, { clocks: MemberClocks; local: () => number }>()
  const deliver = (from: string, message: ClockPing | ClockPong, to: string) => {
    const peer = members.get(to)
    if (!peer) return
    if (message.type === 'sync/ping') peer.clocks.handlePing(from, message, peer.local())
    else peer.clocks.handlePong(from, message, peer.local())
  }
  for (const [id, skew] of Object.entries(skews)) {
    const local = () => trueNow + skew
    const clocks = new MemberClocks({ selfId: id, now: local, send: (m, to) => deliver(id, m, to) })
    members.set(id, { clocks, local })
  }
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      trueNow += 50
      for (const { clocks, local } of members.values()) {
        clocks.reconcile([...members.keys()], local())
        clocks.pingDue(local())
      }
    }
  }
  const leave = (id: string) => members.delete(id)
  const at = (id: string) => members.get(id)!
  return { run, leave, at }
}

describe('MemberClocks', () => {
  it("shared time is the host's clock once measured; the host's own clock needs no measuring", () => {
    const { run, at } = room({ a: 0, b: 1_500 })
    const b = at('b')
    expect(b.clocks.sharedNow(b.local(), 'a', () => false).now).toBeUndefined()
    expect(at('a').clocks.sharedNow(at('a').local(), 'a', () => false).now).toBe(trueNow)
    run(1_000)
    expect(b.clocks.sharedNow(b.local(), 'a', () => false)).toEqual({ now: trueNow, rebaseMs: null })
    expect(b.clocks.frame).toBe('a')
    expect(b.clocks.maxRtt()).toBe(0)
    expect(b.clocks.deltaFrom('b')).toBe(-1_500) // b's times are 1.5 s ahead of a's
  })

  it("when the host leaves, the next host's frame comes with the rebase measured by the old host's last estimate", () => {
    const { run, leave, at } = room({ a: 0, b: 1_500, c: -900 })
    run(1_000)
    const c = at('c')
    c.clocks.sharedNow(c.local(), 'a', () => true)
    leave('a')
    run(100)
    const next = c.clocks.sharedNow(c.local(), 'b', () => true)
    expect(next).toEqual({ now: trueNow + 1_500, rebaseMs: 1_500 })
    expect(c.clocks.frame).toBe('b')
  })

  it('with no time held, the frame follows the host at once, with nothing to rebase', () => {
    const { at } = room({ a: 0, b: 1_500 })
    const a = at('a')
    expect(a.clocks.sharedNow(a.local(), 'b', () => false)).toEqual({ now: undefined, rebaseMs: null })
    expect(a.clocks.frame).toBe('b')
  })

  it(`an unmeasurable frame change waits, then happens unrebased after ${FRAME_SWITCH_TIMEOUT_MS} ms`, () => {
    const { run, at } = room({ a: 0, b: 1_500 })
    const a = at('a')
    // a holds times in its own frame and b has never been measured (no pings ran).
    expect(a.clocks.sharedNow(a.local(), 'b', () => true)).toEqual({ now: undefined, rebaseMs: null })
    expect(a.clocks.frame).toBe('a')
    trueNow += FRAME_SWITCH_TIMEOUT_MS + 1
    expect(a.clocks.sharedNow(a.local(), 'b', () => true)).toEqual({ now: undefined, rebaseMs: 0 })
    expect(a.clocks.frame).toBe('b')
    run(1_000)
    expect(a.clocks.sharedNow(a.local(), 'b', () => true)).toEqual({ now: trueNow + 1_500, rebaseMs: null })
  })

  it('forgets members that are gone and reports them once', () => {
    const { run, leave, at } = room({ a: 0, b: 1_500, c: -900 })
    run(500)
    leave('b')
    const a = at('a')
    expect(a.clocks.reconcile(['a', 'c'], a.local())).toEqual(['b'])
    expect(a.clocks.reconcile(['a', 'c'], a.local())).toEqual([])
    expect(a.clocks.rttTo('b')).toBeNull()
    expect(a.clocks.rttTo('c')).toBe(0)
  })
})
