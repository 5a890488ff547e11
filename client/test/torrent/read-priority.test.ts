/**
 * Who reads a dropped file first: members' range reads hold the hashing back, but never for long at a
 * stretch, so hashing keeps a fair share while members stream.
 */
import { describe, expect, it } from 'vitest'
import { HOLD_MS, LINGER_MS, ReadPriority, SHARE_MS } from '../../src/lib/torrent/read-priority.ts'
import { ManualTimers } from '../manual-timers.ts'

function watched() {
  const timers = new ManualTimers()
  const priority = new ReadPriority(timers)
  const changes: boolean[] = []
  priority.onChange((urgent) => changes.push(urgent))
  return { timers, priority, changes }
}

describe('ReadPriority', () => {
  it('holds hashing while a range read is in flight and for LINGER_MS after it', () => {
    const { timers, priority, changes } = watched()
    const end = priority.begin()
    expect(priority.urgent).toBe(true)
    timers.advance(HOLD_MS - LINGER_MS - 10)
    end()
    timers.advance(LINGER_MS - 1)
    expect(priority.urgent).toBe(true)
    timers.advance(1)
    expect(priority.urgent).toBe(false)
    expect(changes).toEqual([true, false])
  })

  it('a read that starts while lingering keeps the hold without a change', () => {
    const { timers, priority, changes } = watched()
    priority.begin()()
    timers.advance(HOLD_MS / 3)
    const end = priority.begin()
    timers.advance(HOLD_MS / 3)
    expect(priority.urgent).toBe(true)
    end()
    end() // a second call does nothing
    expect(changes).toEqual([true])
  })

  it('members that read without a pause hold hashing at most HOLD_MS, then hashing reads for SHARE_MS', async () => {
    const { timers, priority, changes } = watched()
    const end = priority.begin()
    timers.advance(HOLD_MS - 1)
    expect(priority.urgent).toBe(true)
    timers.advance(1)
    expect(priority.urgent).toBe(false)
    await priority.idle() // the gate is open: hashing reads
    const more = priority.begin() // the members keep reading: hashing still has its turn
    end()
    timers.advance(SHARE_MS - 1)
    expect(priority.urgent).toBe(false)
    timers.advance(1)
    expect(priority.urgent).toBe(true) // the next hold
    timers.advance(HOLD_MS)
    expect(priority.urgent).toBe(false)
    more()
    timers.advance(LINGER_MS)
    timers.advance(SHARE_MS)
    expect(priority.urgent).toBe(false) // nobody reads any more: hashing stays open
    expect(changes).toEqual([true, false, true, false])
  })

  it('idle resolves when the hold ends', async () => {
    const { timers, priority } = watched()
    const end = priority.begin()
    let resumed = false
    const idle = priority.idle().then(() => (resumed = true))
    await Promise.resolve()
    expect(resumed).toBe(false)
    end()
    timers.advance(LINGER_MS)
    await idle
    expect(resumed).toBe(true)
  })
})
