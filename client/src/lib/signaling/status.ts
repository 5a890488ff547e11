import type { SignalState } from './client.ts'

/** A person-readable line for the signaling state (what `connection-status` shows). */
export function describeSignalState(state: SignalState): string {
  switch (state.kind) {
    case 'connecting':
      return state.attempt === 0
        ? 'Connecting to the signal server…'
        : `Reconnecting (attempt ${state.attempt})…`
    case 'connected':
      return 'Connected'
    case 'waiting':
      return `Signal server unreachable (${state.reason}); retrying in ${Math.ceil(state.retryInMs / 1000)} s. The room keeps working between connected members.`
    case 'stopped':
      return `Disconnected: ${state.reason}`
    default:
      return state satisfies never
  }
}
