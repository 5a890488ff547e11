/**
 * How far behind the sharer's screen its picture here runs, from the screen receiver's `getStats`: the time a
 * frame waits in the jitter buffer and takes to decode, both over the frames since the previous reading (so
 * the figure follows the link now, not its whole life), plus half the connection's round trip for the way
 * there. Capture, encoding and painting are not in the statistics a receiver has, so the figure is a floor of
 * the delay a person sees (docs/voice.md).
 */

/** One reading of the screen receiver's counters (the `inbound-rtp` entry; seconds, as getStats gives them). */
export interface ReceiverSample {
  jitterBufferDelay: number
  jitterBufferEmittedCount: number
  totalDecodeTime: number
  framesDecoded: number
  /** The nominated candidate pair's `currentRoundTripTime`, seconds; null when not known. */
  roundTrip: number | null
}

/** The delay in ms, over the frames between `before` and `after` (or since the start); null without frames. */
export function screenLatency(before: ReceiverSample | null, after: ReceiverSample): number | null {
  const emitted = after.jitterBufferEmittedCount - (before?.jitterBufferEmittedCount ?? 0)
  if (emitted <= 0) return before ? screenLatency(null, after) : null
  const buffered = (after.jitterBufferDelay - (before?.jitterBufferDelay ?? 0)) / emitted
  const decoded = after.framesDecoded - (before?.framesDecoded ?? 0)
  const decoding = decoded > 0 ? (after.totalDecodeTime - (before?.totalDecodeTime ?? 0)) / decoded : 0
  return (buffered + decoding + (after.roundTrip ?? 0) / 2) * 1000
}

/** The sample in a receiver's statistics report; null before the first frame arrived. */
export function receiverSample(entries: Iterable<Record<string, unknown>>): ReceiverSample | null {
  let sample: ReceiverSample | null = null
  let roundTrip: number | null = null
  for (const entry of entries) {
    if (entry['type'] === 'inbound-rtp')
      sample = {
        jitterBufferDelay: numberOr0(entry['jitterBufferDelay']),
        jitterBufferEmittedCount: numberOr0(entry['jitterBufferEmittedCount']),
        totalDecodeTime: numberOr0(entry['totalDecodeTime']),
        framesDecoded: numberOr0(entry['framesDecoded']),
        roundTrip: null,
      }
    if (
      entry['type'] === 'candidate-pair' &&
      entry['nominated'] &&
      typeof entry['currentRoundTripTime'] === 'number'
    )
      roundTrip = entry['currentRoundTripTime']
  }
  return sample && { ...sample, roundTrip }
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0
}
