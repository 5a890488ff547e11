import { describe, expect, it } from 'vitest'
import { SendBatch } from '../../src/lib/mesh/send-batch.ts'
import {
  deepenSendBuffer,
  SEND_BUFFER_HIGH,
  writeBatched,
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
})

describe('writeBatched', () => {
  /** A connected peer with nothing held, its channel holding `bufferedAmount`; sends add to it. */
  function openPeer(bufferedAmount: number) {
    const channel = { bufferedAmount } as { bufferedAmount: number }
    const sent: number[] = []
    const batch = new SendBatch((message) => {
      sent.push(message.length)
      channel.bufferedAmount += message.length
    })
    const peer: BufferedPeer = { _connected: true, _cb: null, _channel: channel as RTCDataChannel }
    return { peer, batch, sent, channel }
  }

  it('gathers the chunk and lets the write go on while channel and batch hold no more than SEND_BUFFER_HIGH', () => {
    const { peer, batch, sent } = openPeer(SEND_BUFFER_HIGH - 100)
    const calls: (Error | null)[] = []
    expect(writeBatched(peer, batch, new Uint8Array(100), (err) => calls.push(err))).toBe(true)
    expect(calls).toEqual([null])
    expect(sent).toEqual([])
    expect(batch.pendingBytes).toBe(100)
    expect(peer._cb).toBeNull()
  })

  it('past SEND_BUFFER_HIGH, sends the batch and holds the write for the bufferedamountlow event', () => {
    const { peer, batch, sent } = openPeer(SEND_BUFFER_HIGH - 100)
    const calls: (Error | null)[] = []
    const cb = (err: Error | null) => calls.push(err)
    expect(writeBatched(peer, batch, new Uint8Array(101), cb)).toBe(true)
    expect(calls).toEqual([])
    expect(sent).toEqual([101])
    expect(peer._cb).toBe(cb)
  })

  it('does nothing before the channel is open, while a write is held, or without the fields it reads', () => {
    const cb = () => {}
    const batch = new SendBatch(() => {})
    const chunk = new Uint8Array(1)
    const channel = { bufferedAmount: 0 } as RTCDataChannel
    expect(writeBatched({ _connected: false, _cb: null, _channel: channel }, batch, chunk, cb)).toBe(false)
    expect(writeBatched({ _connected: true, _cb: cb, _channel: channel }, batch, chunk, cb)).toBe(false)
    expect(writeBatched({ _connected: true, _channel: channel }, batch, chunk, cb)).toBe(false)
    expect(writeBatched({ _connected: true, _cb: null }, batch, chunk, cb)).toBe(false)
    expect(batch.pendingBytes).toBe(0)
  })
})
