/**
 * One device toggle (the microphone or the camera) as a state machine: off by default; pressing it asks the
 * browser for the device; the answer turns it on or into an error with a sentence for the person; pressing
 * again turns it off (or, after an error, asks again). A track that ends by itself (the device unplugged,
 * the permission revoked) turns it off with a sentence.
 */
export type DeviceKind = 'mic' | 'camera' | 'screen'

/** Why a device could not be had, from the DOMException getUserMedia rejects with. */
export type DeviceFailure = 'denied' | 'missing' | 'busy' | 'insecure' | 'unsupported' | 'failed'

export type ToggleState =
  { s: 'off' } | { s: 'asking' } | { s: 'on' } | { s: 'error'; failure: DeviceFailure } | { s: 'ended' }

export type ToggleEvent =
  | { e: 'press' }
  | { e: 'granted' }
  | { e: 'failed'; failure: DeviceFailure }
  /** The device's track ended by itself. */
  | { e: 'ended' }

export const TOGGLE_OFF: ToggleState = { s: 'off' }

export function nextToggle(state: ToggleState, event: ToggleEvent): ToggleState {
  switch (event.e) {
    case 'press':
      // A press while asking waits for the browser's answer (the prompt may still be open).
      if (state.s === 'asking') return state
      return state.s === 'on' ? TOGGLE_OFF : { s: 'asking' }
    case 'granted':
      return state.s === 'asking' ? { s: 'on' } : state
    case 'failed':
      return state.s === 'asking' ? { s: 'error', failure: event.failure } : state
    case 'ended':
      return state.s === 'on' ? { s: 'ended' } : state
    default:
      return event satisfies never
  }
}

/** Whether the device should be captured in this state. */
export function isOn(state: ToggleState): boolean {
  return state.s === 'on'
}

/** The kind of failure behind a getUserMedia rejection (its DOMException name). */
export function deviceFailure(error: unknown): DeviceFailure {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : ''
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied'
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'missing'
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy'
    case 'TypeError':
      return 'unsupported'
    default:
      return 'failed'
  }
}

const DEVICE: Record<DeviceKind, string> = { mic: 'microphone', camera: 'camera', screen: 'screen sharing' }

/** The sentence shown under the toggles for a state, or null when there is nothing to say. */
export function toggleSentence(kind: DeviceKind, state: ToggleState): string | null {
  const device = DEVICE[kind]
  if (kind === 'screen') return screenSentence(state)
  if (state.s === 'ended') return `Your ${device} stopped (unplugged, or its permission was taken back).`
  if (state.s !== 'error') return null
  switch (state.failure) {
    case 'denied':
      return `The browser did not allow the ${device}: allow it in the address bar's site settings, then try again.`
    case 'missing':
      return `No ${device} found on this device.`
    case 'busy':
      return `The ${device} is in use by another program, or could not start.`
    case 'insecure':
      return `The ${device} needs a secure page (https or localhost).`
    case 'unsupported':
      return `This browser cannot use a ${device} here.`
    case 'failed':
      return `The ${device} could not start.`
    default:
      return state.failure satisfies never
  }
}

/** Sharing a screen: the browser's picker may be cancelled, and the share ends from the browser's own bar. */
function screenSentence(state: ToggleState): string | null {
  if (state.s !== 'error') return null
  switch (state.failure) {
    case 'denied':
      return 'Screen sharing was cancelled, or the browser did not allow it.'
    case 'insecure':
      return 'Screen sharing needs a secure page (https or localhost).'
    case 'unsupported':
      return 'This browser cannot share a screen.'
    default:
      return 'The screen could not be shared.'
  }
}
