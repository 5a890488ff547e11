import { describe, expect, it } from 'vitest'
import type { ChatEntry } from '../../src/lib/room/chat.ts'
import { ChatLog } from '../../src/lib/room/chat-log.svelte.ts'
import type { HistoryEntry } from '../../src/lib/room/protocol.ts'

const PUB = 'P'.repeat(43)
const SIG = 'S'.repeat(86)
const history = (id: string, at: number): HistoryEntry => ({
  id,
  from: 'a',
  name: 'Ana',
  text: id,
  at,
  pub: PUB,
  sig: SIG,
})
const said = (id: string, at: number): ChatEntry => ({
  kind: 'chat',
  id,
  from: 'a',
  name: 'Ana',
  text: id,
  at,
  signature: { name: 'Ana', at, pub: PUB, sig: SIG },
})

describe('ChatLog', () => {
  it('shows a message once however often it arrives', () => {
    const log = new ChatLog(() => 0)
    log.add(said('a:1', 10))
    log.add(said('a:1', 10))
    expect(log.entries).toEqual([said('a:1', 10)])
  })

  it('stamps each notice with the time and its own id', () => {
    let now = 5
    const log = new ChatLog(() => now)
    log.notice('Bo joined')
    now = 7
    log.notice('Bo joined')
    const [first, second] = log.entries
    expect([first?.at, second?.at]).toEqual([5, 7])
    expect(first?.kind === 'notice' && first.text).toBe('Bo joined')
    expect(first?.id).not.toBe(second?.id)
  })

  it("merges a member's history in time order, each message once", () => {
    const log = new ChatLog(() => 0)
    log.add(said('a:2', 20))
    log.merge([history('a:1', 10), history('a:2', 20)])
    expect(log.entries.map((entry) => entry.id)).toEqual(['a:1', 'a:2'])
  })

  it("gives a newcomer the messages, not this tab's notices", () => {
    const log = new ChatLog(() => 0)
    log.add(said('a:1', 10))
    log.notice('Bo joined')
    expect(log.history()).toEqual([history('a:1', 10)])
  })

  it('shows a history line dated far off our clock at its arrival, and passes it on as signed', () => {
    const now = 1_700_000_000_000
    const log = new ChatLog(() => now)
    log.merge([history('a:1', 1e16)])
    expect(log.entries.map((entry) => entry.at)).toEqual([now])
    expect(log.history()).toEqual([history('a:1', 1e16)])
  })
})
