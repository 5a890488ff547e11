import { boundTime } from '../wire/time.ts'
import type { RoomMessage } from './protocol.ts'

/**
 * The room's bound on the times a member sends (wire/time.ts): each join time further than a
 * day from our clock becomes the arrival time. Pure; `replaced` names what was changed, for the log line.
 */
export function boundMessageTimes(
  message: RoomMessage,
  now: number,
): { message: RoomMessage; replaced: string[] } {
  const replaced: string[] = []
  const bound = (t: number, what: string) => {
    const kept = boundTime(t, now)
    if (kept !== t) replaced.push(what)
    return kept
  }
  switch (message.type) {
    case 'hello': {
      const { self, snapshot } = message
      return {
        message: {
          ...message,
          self: { ...self, joinedAt: bound(self.joinedAt, 'self.joinedAt') },
          snapshot: {
            ...snapshot,
            members: snapshot.members.map((m, i) => ({
              ...m,
              joinedAt: bound(m.joinedAt, `members[${i}].joinedAt`),
            })),
          },
        },
        replaced,
      }
    }
    case 'presence':
      return {
        message: {
          ...message,
          self: { ...message.self, joinedAt: bound(message.self.joinedAt, 'joinedAt') },
        },
        replaced,
      }
    case 'chat':
    case 'authority':
    case 'rotate':
    case 'ping':
    case 'pong':
    case 'feature':
      return { message, replaced }
    default:
      return message satisfies never
  }
}
