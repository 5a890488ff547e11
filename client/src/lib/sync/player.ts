/**
 * What the controller needs of a player: a snapshot to decide on, four operations, and the person's own actions
 * (native controls, keyboard, a script calling `play()`/`pause()` or setting `currentTime`) as user actions —
 * never the events of the controller's own operations, however late they come, nor what the element does by
 * itself. The room's `<video>` implements it in player/video.ts.
 */
import { assertNeverAction, type Action, type PlayerSnapshot } from './decide.ts'

export type UserAction =
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'seek'; position: number }
  | { type: 'ratechange'; rate: number }

export interface Player {
  snapshot(): PlayerSnapshot
  /** Rejects when the browser refuses to play (autoplay policy): the UI should ask for a click. */
  play(): Promise<void>
  pause(): void
  seek(position: number): void
  setRate(rate: number): void
  /** Person-initiated changes only (docs/sync.md, "Who caused an event"). Returns an unsubscribe function. */
  onUserAction(listener: (action: UserAction) => void): () => void
  /**
   * The element can do more than before (`loadedmetadata`, `canplay`, `seeked`): the controller should decide
   * now rather than at its next tick. Optional; returns an unsubscribe function.
   */
  onMediaProgress?(listener: () => void): () => void
}

/** The media events after which the controller has something new to decide. */
export const PROGRESS_EVENTS = ['loadedmetadata', 'canplay', 'seeked'] as const

/** Performs a controller action. */
export function perform(player: Player, action: Action): Promise<void> {
  switch (action.type) {
    case 'none':
      return Promise.resolve()
    case 'play':
      return player.play()
    case 'pause':
      player.pause()
      return Promise.resolve()
    case 'seek':
      if (action.pause) player.pause()
      player.seek(action.position)
      return action.play ? player.play() : Promise.resolve()
    case 'setRate':
      player.setRate(action.rate)
      return Promise.resolve()
    default:
      return assertNeverAction(action)
  }
}
