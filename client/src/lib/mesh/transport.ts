/**
 * Which transport carries the room protocol to one peer. WebRTC is preferred; when the data
 * channel is not open within DATA_CHANNEL_TIMEOUT_MS, or fails, the room protocol runs over the
 * signal-server pipe ("relay"), so a member behind a hostile NAT (or without WebRTC) still chats.
 */
export const DATA_CHANNEL_TIMEOUT_MS = 4000

export type Transport = 'webrtc' | 'relay'
export type DataChannelState = 'pending' | 'open' | 'failed'
export type TransportDecision = 'pending' | Transport | 'closed'

/** A link is up: one of the two transports carries the room protocol. */
export function carries(decision: TransportDecision): decision is Transport {
  return decision === 'webrtc' || decision === 'relay'
}

export interface TransportInputs {
  dataChannel: DataChannelState
  pipe: 'connecting' | 'open' | 'closed'
  /** ms since this peer was introduced */
  waitedMs: number
}

export function decideTransport({ dataChannel, pipe, waitedMs }: TransportInputs): TransportDecision {
  if (dataChannel === 'open') return 'webrtc'
  if (pipe === 'closed') return 'closed'
  // The pipe's socket will open or close soon; the room protocol needs one of the two transports.
  if (pipe === 'connecting') return 'pending'
  if (dataChannel === 'failed' || waitedMs >= DATA_CHANNEL_TIMEOUT_MS) return 'relay'
  return 'pending'
}
