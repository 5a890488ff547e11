/**
 * The browser's own media controls — media keys, the system's or the browser's media panel, a picture-in-picture
 * window — act on the room, as the play button and the seek bar do. With a handler for an action, the browser
 * calls it instead of playing, pausing or seeking the element itself: without one, its pause would arrive as an
 * element event with no input in the page, which the element's owner takes for the element's own (video.ts).
 */

/** What the handlers drive: the playback store (sync/playback.svelte.ts). */
export interface RoomControls {
  play(): void
  pause(): void
  seek(position: number): void
  /** Media seconds where the room is, and the item's length (NaN while unknown). */
  readonly position: number
  readonly duration: number
}

/** The part of `navigator.mediaSession` used here. */
export interface MediaSessionLike {
  setActionHandler(action: MediaSessionAction, handler: MediaSessionActionHandler | null): void
}

/** A step of a media key's seek backward or forward when the browser does not say how far. */
export const MEDIA_KEY_SEEK_S = 10

const ACTIONS = ['play', 'pause', 'seekbackward', 'seekforward', 'seekto'] as const

/** Routes the browser's media controls to `controls`; returns what removes the handlers. */
export function bindMediaSession(
  session: MediaSessionLike | null | undefined,
  controls: RoomControls,
): () => void {
  if (!session) return () => {}
  const bound: MediaSessionAction[] = []
  for (const action of ACTIONS) {
    try {
      session.setActionHandler(action, (details) => onAction(controls, action, details))
      bound.push(action)
    } catch {
      // This browser does not know the action: its controls do not offer it.
    }
  }
  return () => {
    for (const action of bound) {
      try {
        session.setActionHandler(action, null)
      } catch {
        // Nothing to remove.
      }
    }
  }
}

function onAction(
  controls: RoomControls,
  action: (typeof ACTIONS)[number],
  details: MediaSessionActionDetails,
): void {
  switch (action) {
    case 'play':
      return controls.play()
    case 'pause':
      return controls.pause()
    case 'seekbackward':
      return seekTo(controls, controls.position - offset(details))
    case 'seekforward':
      return seekTo(controls, controls.position + offset(details))
    case 'seekto':
      if (typeof details.seekTime === 'number') seekTo(controls, details.seekTime)
      return
    default:
      return action satisfies never
  }
}

function offset(details: MediaSessionActionDetails): number {
  const step = details.seekOffset
  return typeof step === 'number' && Number.isFinite(step) && step > 0 ? step : MEDIA_KEY_SEEK_S
}

function seekTo(controls: RoomControls, position: number): void {
  if (!Number.isFinite(position)) return
  const end = Number.isFinite(controls.duration) ? controls.duration : Infinity
  controls.seek(Math.min(end, Math.max(0, position)))
}
