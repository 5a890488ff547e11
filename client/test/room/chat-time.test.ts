import { describe, expect, it } from 'vitest'
import { chatTime } from '../../src/lib/room/chat-time.ts'

const utc = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })

describe('chatTime', () => {
  it('formats a time as hours and minutes, with an ISO date for <time>', () => {
    expect(chatTime(Date.UTC(2026, 0, 2, 13, 45), utc)).toEqual({
      iso: '2026-01-02T13:45:00.000Z',
      text: '13:45',
    })
  })

  it.each([1e16, -1e16, Number.NaN, Infinity, Number.MAX_VALUE])('never throws, even for %s', (at) => {
    expect(chatTime(at, utc)).toEqual({ iso: '', text: '--:--' })
  })
})
