/**
 * A chat line's time for display. `Date` and `Intl` throw on times outside ±8.64e15 ms (and on NaN); a time
 * from a member is bounded when it arrives (wire/time.ts), but the panel must not depend on that: whatever
 * the number, this returns something to show and never throws.
 */
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

export interface ChatTime {
  /** For `<time datetime>`; '' when the time is not a date. */
  iso: string
  /** What the person reads: hours and minutes, or '--:--'. */
  text: string
}

const UNKNOWN: ChatTime = { iso: '', text: '--:--' }

export function chatTime(at: number, format: Intl.DateTimeFormat = clock): ChatTime {
  const date = new Date(at)
  if (Number.isNaN(date.getTime())) return UNKNOWN
  try {
    return { iso: date.toISOString(), text: format.format(date) }
  } catch {
    return UNKNOWN
  }
}
