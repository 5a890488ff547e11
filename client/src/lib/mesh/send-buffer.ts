/**
 * How much a stream written to a WebRTC peer (a torrent wire) may queue in the data channel. simple-peer
 * holds a stream write back while the channel has more than 64 KiB queued and lets it go when the channel's
 * `bufferedamountlow` event fires at 64 KiB: each further 16 KiB block then costs one trip through the page's
 * task queue. On a page that is also playing video that trip is slower than the channel drains 64 KiB, so
 * the channel runs dry while the blocks wait in the wire's own stream buffer (measured: the seeder's wires
 * held back two thirds of the time, with up to 1 MiB waiting in the wire; docs/streaming.md, "Throughput").
 *
 * With a deeper buffer one task refills half a megabyte. It adds no waiting for the peer: a seeder sends only
 * the blocks the peer asked for, and those were queued in the wire before; now they wait in the channel.
 */
export const SEND_BUFFER_HIGH = 1024 * 1024
/** The channel's `bufferedAmountLowThreshold`: a held write goes on once the queue is down to this. */
export const SEND_BUFFER_LOW = 512 * 1024

/** The fields of a simple-peer instance this uses, unknown until checked (simple-peer's internals). */
export interface BufferedPeer {
  /** This peer's own SEND_BUFFER_HIGH (`setSendBuffer`). */
  sendBufferHigh?: number
  /** This peer's own SEND_BUFFER_LOW (`setSendBuffer`): its channel's threshold, now or once it comes. */
  sendBufferLow?: number
  /** The held write's callback: simple-peer calls it when the channel's queue is low. */
  _cb?: unknown
  _channel?: RTCDataChannel | null
  _connected?: unknown
}

/**
 * Right after simple-peer's own `_write(chunk, cb)`: when it held `cb` back but the channel has no more than
 * SEND_BUFFER_HIGH queued, lets the write go on now. Does nothing before the channel is open (simple-peer
 * keeps that one chunk itself) or if simple-peer renamed what this reads: then its own 64 KiB applies.
 */
export function deepenSendBuffer(peer: BufferedPeer, cb: (err: Error | null) => void): void {
  if (peer._connected !== true || peer._cb !== cb) return
  const buffered = peer._channel?.bufferedAmount
  if (typeof buffered !== 'number' || buffered > (peer.sendBufferHigh ?? SEND_BUFFER_HIGH)) return
  peer._cb = null
  cb(null)
}

/**
 * Gives one connection a send buffer of its own depth: writes go on while its channel holds no more than
 * `high`, and held ones once it is down to `low`. A connection that answers an offer gets its channel only
 * when the other side's arrives, after the links hand it on: the depth waits for it (`setChannelThreshold`).
 * False when `peer` is no such connection (its depth stays).
 */
export function setSendBuffer(peer: unknown, high: number, low: number): boolean {
  if (typeof peer !== 'object' || peer === null || !('_channel' in peer)) return false
  const candidate = peer as BufferedPeer
  candidate.sendBufferHigh = high
  candidate.sendBufferLow = low
  const channel = candidate._channel
  if (channel) setChannelThreshold(candidate, channel)
  return true
}

/** The channel's `bufferedAmountLowThreshold`: this peer's own depth, else SEND_BUFFER_LOW. */
export function setChannelThreshold(peer: BufferedPeer, channel: RTCDataChannel): void {
  if (typeof channel.bufferedAmountLowThreshold !== 'number') return
  channel.bufferedAmountLowThreshold = peer.sendBufferLow ?? SEND_BUFFER_LOW
}
