/**
 * What the person's own action on the element (native controls, keyboard, or a script) asks of the room.
 * The element already did it; the command makes every member follow, this one included.
 */
import type { UserAction } from './player.ts'
import { clampRate, type CommandBody } from './timeline.ts'

export function userCommand(action: UserAction): CommandBody {
  switch (action.type) {
    case 'play':
      return { kind: 'play' }
    case 'pause':
      return { kind: 'pause' }
    case 'seek':
      // A seek while the room plays holds it at the target (timeline.ts): the element goes back to where
      // the person put it, and resumes from there with everyone at the release's instant.
      return { kind: 'seek', position: Math.max(0, action.position) }
    case 'ratechange':
      return { kind: 'rate', rate: clampRate(action.rate) }
    default:
      return action satisfies never
  }
}
