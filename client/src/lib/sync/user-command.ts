/**
 * What the person's own action on the element (native controls, keyboard, or a script) asks of the room.
 * The element already did it; the command makes every member follow, this one included.
 */
import type { UserAction } from './player.ts'
import { clampRate, commandLeadMs, isMoving, segmentAt, type CommandBody, type Timeline } from './timeline.ts'

export interface UserActionContext {
  /** the current item's timeline */
  timeline: Timeline
  /** shared time at the last tick; undefined while unknown */
  shared: number | undefined
  /** largest round trip to any member, ms */
  maxRttMs: number
  /** whether the element is playing (asked only about a seek while the room moves) */
  elementPlaying: () => boolean
}

export function userCommand(action: UserAction, context: UserActionContext): CommandBody {
  switch (action.type) {
    case 'play':
      return { kind: 'play' }
    case 'pause':
      return { kind: 'pause' }
    case 'seek': {
      // The element plays on from the new position while the command waits for its lead: aim where it
      // will be when the room gets there.
      const { timeline, shared } = context
      const moving = shared !== undefined && isMoving(segmentAt(timeline, shared)) && context.elementPlaying()
      const lead = moving ? (commandLeadMs(context.maxRttMs) / 1000) * timeline.rate : 0
      return { kind: 'seek', position: Math.max(0, action.position + lead) }
    }
    case 'ratechange':
      return { kind: 'rate', rate: clampRate(action.rate) }
    default:
      return action satisfies never
  }
}
