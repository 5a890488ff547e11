/**
 * Voices in the call are sent with Opus's discontinuous transmission: while a microphone hears silence, its
 * encoder sends a packet every 400 ms instead of every 20 ms. People watching a film are quiet most of the
 * time, so most of the call's audio packets (their encryption, sending, jitter buffers and decoding, once per
 * link) go away. An Opus sender uses DTX when the other side's description asks for it (`usedtx=1`, RFC 7587),
 * so each side adds it to the description it receives before applying it.
 */

/** An Opus payload's `rtpmap` line; its payload type. */
const OPUS_RTPMAP = /^a=rtpmap:(\d+) opus\/48000/i

/** `sdp` with `usedtx=1` on every Opus payload's format parameters (added when missing). */
export function withOpusDtx(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  const lines = sdp.split(eol)
  const opus = new Set(lines.flatMap((line) => OPUS_RTPMAP.exec(line)?.[1] ?? []))
  if (opus.size === 0) return sdp
  const withFmtp = new Set<string>()
  const out = lines.map((line) => {
    const match = /^a=fmtp:(\d+) (.*)$/.exec(line)
    if (!match || !opus.has(match[1]!)) return line
    withFmtp.add(match[1]!)
    const params = match[2]!
    return /(^|;)\s*usedtx=/.test(params) ? line : `${line};usedtx=1`
  })
  // A payload with no format parameters gets a line of its own, after its rtpmap.
  const result: string[] = []
  for (const line of out) {
    result.push(line)
    const payload = OPUS_RTPMAP.exec(line)?.[1]
    if (payload && !withFmtp.has(payload)) result.push(`a=fmtp:${payload} usedtx=1`)
  }
  return result.join(eol)
}
