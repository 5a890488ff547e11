import { describe, expect, it } from 'vitest'
import {
  DATA_CHANNEL_TIMEOUT_MS,
  decideTransport,
  type TransportInputs,
} from '../../src/lib/mesh/transport.ts'

describe('decideTransport (the fallback decision)', () => {
  const cases: [TransportInputs, string][] = [
    [{ dataChannel: 'pending', pipe: 'connecting', waitedMs: 0 }, 'pending'],
    [{ dataChannel: 'pending', pipe: 'open', waitedMs: DATA_CHANNEL_TIMEOUT_MS - 1 }, 'pending'],
    [{ dataChannel: 'pending', pipe: 'open', waitedMs: DATA_CHANNEL_TIMEOUT_MS }, 'relay'],
    [{ dataChannel: 'failed', pipe: 'open', waitedMs: 0 }, 'relay'],
    [{ dataChannel: 'open', pipe: 'open', waitedMs: 0 }, 'webrtc'],
    // the signal server went away: a data channel keeps the member, a relay cannot
    [{ dataChannel: 'open', pipe: 'closed', waitedMs: 99_999 }, 'webrtc'],
    [{ dataChannel: 'failed', pipe: 'closed', waitedMs: 0 }, 'closed'],
    [{ dataChannel: 'pending', pipe: 'closed', waitedMs: 0 }, 'closed'],
    [{ dataChannel: 'failed', pipe: 'connecting', waitedMs: 0 }, 'pending'],
  ]
  it.each(cases)('%o → %s', (inputs, expected) => {
    expect(decideTransport(inputs)).toBe(expected)
  })
})
