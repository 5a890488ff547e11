import { describe, expect, it } from 'vitest'
import { MAX_SDP_CHARS, parseCallMessage, parseCallSnapshot } from '../../src/lib/call/wire.ts'

describe('call wire', () => {
  it.each([
    { t: 'state', mic: true, cam: false, screen: false },
    { t: 'state', mic: false, cam: false, screen: true },
    { t: 'offer', link: 'l1', sdp: 'v=0' },
    { t: 'answer', link: 'l1', sdp: 'v=0' },
    { t: 'ice', link: 'l1', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } },
    { t: 'ice', link: 'l1', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } },
  ])('takes %j', (message) => {
    expect(parseCallMessage(message)).toMatchObject({ ok: true, value: message })
  })

  it.each([
    ['an unknown type', { t: 'renegotiate', link: 'l1' }],
    ['a state without flags', { t: 'state', mic: true }],
    ['an oversized description', { t: 'offer', link: 'l1', sdp: 'x'.repeat(MAX_SDP_CHARS + 1) }],
    ['an empty link', { t: 'answer', link: '', sdp: 'v=0' }],
    [
      'a candidate for a 17th section',
      { t: 'ice', link: 'l', candidate: { candidate: '', sdpMLineIndex: 16 } },
    ],
    ['not an object', 'offer'],
  ])('refuses %s', (_, message) => {
    expect(parseCallMessage(message)).toMatchObject({ ok: false, error: { code: 'ERR_INVALID' } })
  })

  it('snapshots are the two flags', () => {
    // `screen` came later: a member that does not say is not sharing.
    expect(parseCallSnapshot({ mic: false, cam: true })).toEqual({
      ok: true,
      value: { mic: false, cam: true, screen: false },
    })
    expect(parseCallSnapshot({ mic: 'yes', cam: true }).ok).toBe(false)
  })
})
