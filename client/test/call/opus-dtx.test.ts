import { describe, expect, it } from 'vitest'
import { withOpusDtx } from '../../src/lib/call/opus-dtx.ts'

const audio = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n')

describe('withOpusDtx', () => {
  it("asks for DTX on Opus's parameters and leaves every other line alone", () => {
    const out = withOpusDtx(audio).split('\r\n')
    expect(out).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1')
    expect(out).toContain('a=fmtp:63 111/111')
    expect(out).toHaveLength(audio.split('\r\n').length)
    expect(withOpusDtx(withOpusDtx(audio))).toBe(withOpusDtx(audio))
  })

  it('keeps a sender’s own choice, and gives a payload without parameters a line', () => {
    const off = audio.replace('useinbandfec=1', 'useinbandfec=1;usedtx=0')
    expect(withOpusDtx(off)).toBe(off)
    const bare = audio.replace('a=fmtp:111 minptime=10;useinbandfec=1\r\n', '')
    const out = withOpusDtx(bare).split('\r\n')
    expect(out[out.indexOf('a=rtpmap:111 opus/48000/2') + 1]).toBe('a=fmtp:111 usedtx=1')
  })

  it('changes nothing without Opus', () => {
    const video = 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n'
    expect(withOpusDtx(video)).toBe(video)
  })
})
