import Peer from '@thaunknown/simple-peer'
import type { PeerFactory, PeerLike } from './peer.ts'
import { deepenSendBuffer, setChannelThreshold, type BufferedPeer } from './send-buffer.ts'

/**
 * The real WebRTC peer. Its ICE configuration comes from settings and the signal server's TURN servers
 * (none in tests, public STUN by default; signaling/turn.ts).
 */
export function simplePeerFactory(config: RTCConfiguration): PeerFactory {
  return ({ initiator }) => new DeepBufferPeer({ initiator, trickle: true, config })
}

/**
 * simple-peer with a deeper send buffer for what is written to it as a stream (the torrent wires;
 * mesh/send-buffer.ts says why). The room's own messages use `send` and are not affected.
 */
class DeepBufferPeer extends (Peer as unknown as new (options: object) => PeerLike &
  BufferedPeer & {
    _write(chunk: Uint8Array, cb: (err: Error | null) => void): void
    _setupData(event: { channel?: RTCDataChannel }): void
  }) {
  override _setupData(event: { channel?: RTCDataChannel }): void {
    super._setupData(event)
    if (this._channel) setChannelThreshold(this, this._channel)
  }

  override _write(chunk: Uint8Array, cb: (err: Error | null) => void): void {
    super._write(chunk, cb)
    deepenSendBuffer(this, cb)
  }
}
