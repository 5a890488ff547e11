import Peer from '@thaunknown/simple-peer'
import type { PeerFactory, PeerLike } from './peer.ts'

/** The real WebRTC peer. ICE servers come from configuration (none in tests, public STUN by default). */
export function simplePeerFactory(iceServers: RTCIceServer[]): PeerFactory {
  return ({ initiator }) => new Peer({ initiator, trickle: true, config: { iceServers } }) as PeerLike
}
