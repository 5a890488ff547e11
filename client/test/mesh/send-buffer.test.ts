import { describe, expect, it } from 'vitest'
import {
  deepenSendBuffer,
  SEND_BUFFER_HIGH,
  SEND_BUFFER_LOW,
  setChannelThreshold,
  setSendBuffer,
  type BufferedPeer,
} from '../../src/lib/mesh/send-buffer.ts'

/** A peer as simple-peer leaves it right after `_write` held `cb` back (its queue was over 64 KiB). */
function heldPeer(bufferedAmount: number, cb: (err: Error | null) => void): BufferedPeer {
  return { _connected: true, _cb: cb, _channel: { bufferedAmount } as RTCDataChannel }
}

describe('deepenSendBuffer', () => {
  it('lets a held write go on while the channel holds no more than SEND_BUFFER_HIGH', () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    const peer = heldPeer(SEND_BUFFER_HIGH, cb)
    deepenSendBuffer(peer, cb)
    expect(calls).toEqual([null])
    expect(peer._cb).toBeNull()
  })

  it('keeps the write held once the channel holds more, for its bufferedamountlow event', () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    const peer = heldPeer(SEND_BUFFER_HIGH + 1, cb)
    deepenSendBuffer(peer, cb)
    expect(calls).toEqual([])
    expect(peer._cb).toBe(cb)
  })

  it('leaves a write simple-peer already let go, or one before the channel is open, alone', () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    deepenSendBuffer({ _connected: true, _cb: null, _channel: { bufferedAmount: 0 } as RTCDataChannel }, cb)
    const connecting = { _connected: false, _cb: cb, _channel: null }
    deepenSendBuffer(connecting, cb)
    expect(calls).toEqual([])
    expect(connecting._cb).toBe(cb)
  })

  it('does nothing when simple-peer does not have the fields it reads', () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    deepenSendBuffer({}, cb)
    deepenSendBuffer({ _connected: true, _cb: cb }, cb)
    expect(calls).toEqual([])
  })

  it("holds a write back past a connection's own depth, once setSendBuffer gave it one", () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    const channel = { bufferedAmount: 300 * 1024, bufferedAmountLowThreshold: 512 * 1024 }
    const peer: BufferedPeer = { _connected: true, _cb: cb, _channel: channel as RTCDataChannel }
    expect(setSendBuffer(peer, 256 * 1024, 128 * 1024)).toBe(true)
    expect(channel.bufferedAmountLowThreshold).toBe(128 * 1024)
    deepenSendBuffer(peer, cb)
    expect(calls).toEqual([])
    channel.bufferedAmount = 256 * 1024
    deepenSendBuffer(peer, cb)
    expect(calls).toEqual([null])
    // Not a connection: nothing is set.
    expect(setSendBuffer({}, 1, 1)).toBe(false)
    expect(setSendBuffer(null, 1, 1)).toBe(false)
  })

  it('keeps the depth of a connection whose channel comes later (the side that answers the offer)', () => {
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    const peer: BufferedPeer = { _connected: false, _cb: null, _channel: null }
    expect(setSendBuffer(peer, 256 * 1024, 128 * 1024)).toBe(true)
    // The other side's channel arrives: simple-peer sets its own threshold, then the peer its depth's.
    const channel = { bufferedAmount: 0, bufferedAmountLowThreshold: 64 * 1024 }
    peer._channel = channel as RTCDataChannel
    setChannelThreshold(peer, peer._channel)
    expect(channel.bufferedAmountLowThreshold).toBe(128 * 1024)
    peer._connected = true
    peer._cb = cb
    channel.bufferedAmount = 300 * 1024
    deepenSendBuffer(peer, cb)
    expect(calls).toEqual([])
  })

  it('gives a channel of a connection without a depth of its own SEND_BUFFER_LOW', () => {
    const channel = { bufferedAmountLowThreshold: 64 * 1024 } as RTCDataChannel
    setChannelThreshold({}, channel)
    expect(channel.bufferedAmountLowThreshold).toBe(SEND_BUFFER_LOW)
  })
})
