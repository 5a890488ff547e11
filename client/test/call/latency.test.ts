import { describe, expect, it } from 'vitest'
import { receiverSample, screenLatency, type ReceiverSample } from '../../src/lib/call/latency.ts'

const sample = (
  frames: number,
  bufferS: number,
  decodeS: number,
  roundTrip: number | null,
): ReceiverSample => ({
  jitterBufferDelay: bufferS,
  jitterBufferEmittedCount: frames,
  totalDecodeTime: decodeS,
  framesDecoded: frames,
  roundTrip,
})

describe('screenLatency', () => {
  it('is the jitter buffer and decoding per frame since the last reading plus half the round trip', () => {
    // 30 frames at 20 ms of buffer and 5 ms of decoding each, a 40 ms round trip.
    const first = sample(30, 0.6, 0.15, 0.04)
    expect(screenLatency(null, first)).toBeCloseTo(20 + 5 + 20)
    // The next 10 frames waited 100 ms each: the figure follows them, not the whole life of the link.
    const second = sample(40, 0.6 + 1, 0.15 + 0.05, 0.04)
    expect(screenLatency(first, second)).toBeCloseTo(100 + 5 + 20)
  })

  it('without new frames, falls back to the whole life; without any, is unknown', () => {
    const first = sample(30, 0.6, 0.15, null)
    expect(screenLatency(first, first)).toBeCloseTo(25)
    expect(screenLatency(null, sample(0, 0, 0, 0.04))).toBeNull()
  })
})

describe('receiverSample', () => {
  it("reads the inbound video's counters and the nominated pair's round trip", () => {
    const report = [
      { type: 'candidate-pair', nominated: false, currentRoundTripTime: 9 },
      { type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.01 },
      {
        type: 'inbound-rtp',
        jitterBufferDelay: 1,
        jitterBufferEmittedCount: 50,
        totalDecodeTime: 0.25,
        framesDecoded: 50,
      },
    ]
    expect(receiverSample(report)).toEqual(sample(50, 1, 0.25, 0.01))
    expect(
      receiverSample([{ type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.01 }]),
    ).toBeNull()
  })
})
