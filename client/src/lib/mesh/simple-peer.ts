import Peer from '@thaunknown/simple-peer'
import type { PeerFactory, PeerLike } from './peer.ts'

/**
 * The real WebRTC peer. Its ICE configuration comes from settings and the signal server's TURN servers
 * (none in tests, public STUN by default; signaling/turn.ts).
 */
export function simplePeerFactory(config: RTCConfiguration): PeerFactory {
  return ({ initiator }) => new Peer({ initiator, trickle: true, config }) as PeerLike
}
