import Peer from '@thaunknown/simple-peer'
import type { PeerFactory, PeerLike } from './peer.ts'
import { SendBatch } from './send-batch.ts'
import { deepenSendBuffer, SEND_BUFFER_LOW, writeBatched, type BufferedPeer } from './send-buffer.ts'

/**
 * The real WebRTC peer. Its ICE configuration comes from settings and the signal server's TURN servers
 * (none in tests, public STUN by default; signaling/turn.ts).
 */
export function simplePeerFactory(config: RTCConfiguration): PeerFactory {
  return ({ initiator }) => new DeepBufferPeer({ initiator, trickle: true, config })
}

/**
 * simple-peer with a deeper send buffer and batched messages for what is written to it as a stream (the
 * torrent wires; mesh/send-buffer.ts and mesh/send-batch.ts say why). The room's own messages use `send` and
 * are not affected.
 */
class DeepBufferPeer extends (Peer as unknown as new (options: object) => PeerLike &
  BufferedPeer & {
    readonly destroyed: boolean
    _write(chunk: Uint8Array, cb: (err: Error | null) => void): void
    _setupData(event: { channel?: RTCDataChannel }): void
    destroy(err?: Error): void
  }) {
  readonly #batch = new SendBatch((bytes) => this.#sendNow(bytes))

  override _setupData(event: { channel?: RTCDataChannel }): void {
    super._setupData(event)
    const channel = this._channel
    if (channel && typeof channel.bufferedAmountLowThreshold === 'number') {
      channel.bufferedAmountLowThreshold = SEND_BUFFER_LOW
    }
  }

  override _write(chunk: Uint8Array, cb: (err: Error | null) => void): void {
    if (!this.destroyed && writeBatched(this, this.#batch, chunk, cb)) return
    this.#batch.flush()
    super._write(chunk, cb)
    deepenSendBuffer(this, cb)
  }

  /** A batch's message; a channel that refuses it ends the peer, as simple-peer's own `_write` does. */
  #sendNow(bytes: Uint8Array): void {
    if (this.destroyed) return this.#batch.clear()
    try {
      this.send(bytes as unknown as string)
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
