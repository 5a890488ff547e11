import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LINK_SILENCE_MS, Liveness, PING_INTERVAL_MS, silentMembers } from '../../src/lib/room/liveness.ts'
import type { Member } from '../../src/lib/room/registry.ts'
import { realTimers } from '../../src/lib/timers.ts'

const NOW = 100_000
const member = (id: string, more: Partial<Member> = {}): Member => ({
  id,
  name: id,
  joinedAt: 1,
  transport: 'webrtc',
  rtt: null,
  away: false,
  ...more,
})

describe('silentMembers', () => {
  it.each([
    { name: 'heard from just now', member: member('b'), heard: NOW, expect: false },
    {
      name: 'heard from just under the limit ago',
      member: member('b'),
      heard: NOW - LINK_SILENCE_MS + 1,
      expect: false,
    },
    { name: 'heard from the limit ago', member: member('b'), heard: NOW - LINK_SILENCE_MS, expect: true },
    { name: 'silent on a relayed link', member: member('b', { transport: 'relay' }), heard: 0, expect: true },
    { name: 'never heard from', member: member('b'), heard: undefined, expect: false },
    { name: 'away (its link closed already)', member: member('b', { away: true }), heard: 0, expect: false },
    {
      name: 'its link still pending',
      member: member('b', { transport: 'pending' }),
      heard: 0,
      expect: false,
    },
    { name: 'its link closed', member: member('b', { transport: 'closed' }), heard: 0, expect: false },
  ])('a member $name: silent $expect', ({ member, heard, expect: silent }) => {
    const lastHeard = new Map(heard === undefined ? [] : [[member.id, heard]])
    expect(silentMembers([member], lastHeard, NOW)).toEqual(silent ? [member.id] : [])
  })
})

describe('Liveness', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
  })
  afterEach(() => vi.useRealTimers())

  function liveness(members: Member[]) {
    const log: string[] = []
    const live = new Liveness({
      timers: realTimers,
      now: Date.now,
      members: () => members,
      ping: (t) => log.push(`ping ${t - NOW}`),
      disconnect: (peerId) => log.push(`disconnect ${peerId}`),
      rejoin: () => log.push('rejoin'),
    })
    return { live, log }
  }

  it('pings everyone each interval, stamped with the time', () => {
    const { live, log } = liveness([])
    live.start()
    vi.advanceTimersByTime(PING_INTERVAL_MS * 2)
    expect(log).toEqual([`ping ${PING_INTERVAL_MS}`, `ping ${PING_INTERVAL_MS * 2}`])
  })

  it('closes the links of members gone silent, then asks to be introduced again (once)', () => {
    const { live, log } = liveness([member('b'), member('c'), member('d')])
    for (const id of ['b', 'c', 'd']) live.heard(id)
    live.start()
    vi.advanceTimersByTime(PING_INTERVAL_MS * 2)
    live.heard('c')
    vi.advanceTimersByTime(LINK_SILENCE_MS - PING_INTERVAL_MS * 2)
    expect(log.slice(-4)).toEqual([`ping ${LINK_SILENCE_MS}`, 'disconnect b', 'disconnect d', 'rejoin'])
  })

  it('forgets a member whose link closed: a new link starts afresh', () => {
    const { live, log } = liveness([member('b')])
    live.heard('b')
    live.forget('b')
    live.start()
    vi.advanceTimersByTime(LINK_SILENCE_MS)
    expect(log.filter((line) => !line.startsWith('ping'))).toEqual([])
  })

  it('stops pinging when stopped', () => {
    const { live, log } = liveness([])
    live.start()
    live.stop()
    vi.advanceTimersByTime(PING_INTERVAL_MS * 3)
    expect(log).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
