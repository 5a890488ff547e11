import { describe, expect, it } from 'vitest'
import type { ChatEntry } from '../../src/lib/room/chat.ts'
import { titleWithUnread, unreadSince } from '../../src/lib/room/unread.ts'

const line = (id: string, from: string): ChatEntry =>
  ({ kind: 'chat', id, from, name: from, text: 'hi', at: 0 }) as unknown as ChatEntry
const notice = (id: string): ChatEntry => ({ kind: 'notice', id, text: 'Bo joined', at: 0 })

describe('unread chat', () => {
  const entries = [line('1', 'bo'), line('2', 'me'), notice('3'), line('4', 'bo'), line('5', 'cy')]

  it("counts the others' lines after the last one seen, not notices or our own", () => {
    expect(unreadSince(entries, '1', 'me')).toBe(2)
    expect(unreadSince(entries, '5', 'me')).toBe(0)
    expect(unreadSince(entries, null, 'me')).toBe(3)
  })

  it('counts everything shown when the last seen line scrolled out', () => {
    expect(unreadSince(entries, 'gone', 'me')).toBe(3)
  })

  it('titles', () => {
    expect(titleWithUnread('Theatron', 0)).toBe('Theatron')
    expect(titleWithUnread('Theatron', 2)).toBe('(2) Theatron')
    expect(titleWithUnread('Theatron', 120)).toBe('(99+) Theatron')
  })
})
