/**
 * TURN credentials from the signal server's `GET /turn` (signal-server/src/turn.ts): short-lived
 * username/credential pairs for its coturn servers, added to the ICE servers of every WebRTC connection
 * this tab makes (the mesh and the torrent links), so members behind symmetric NATs or strict firewalls
 * still connect directly through a relay instead of falling back to the pipe, which carries no video.
 * A server without TURN answers an empty list, and any failure means no TURN: the tab keeps its own ICE
 * configuration.
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'

/** Give up on the request after this long: a room must not wait on TURN to open. */
export const TURN_FETCH_TIMEOUT_MS = 5_000

const TurnServer = v.object({
  urls: v.pipe(
    v.array(v.pipe(v.string(), v.regex(/^turns?:/), v.maxLength(512))),
    v.minLength(1),
    v.maxLength(8),
  ),
  username: v.pipe(v.string(), v.maxLength(512)),
  credential: v.pipe(v.string(), v.maxLength(512)),
})
const TurnResponse = v.object({ iceServers: v.pipe(v.array(TurnServer), v.maxLength(8)) })

/** `ws(s)://host` of the signal server → `http(s)://host/turn`. */
export function turnUrl(signalBaseUrl: string): string {
  return `${signalBaseUrl.replace(/^ws(s?):\/\//, 'http$1://')}/turn`
}

/** The ICE configuration of every RTCPeerConnection: configured servers, then TURN; relay-only on request. */
export function iceConfiguration(
  configured: RTCIceServer[],
  turn: RTCIceServer[],
  relayOnly: boolean,
): RTCConfiguration {
  return { iceServers: [...configured, ...turn], iceTransportPolicy: relayOnly ? 'relay' : 'all' }
}

export type Fetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>

/** The TURN servers the signal server offers; none (with a warning) when it cannot say. */
export async function fetchTurnServers(url: string, fetchFn: Fetch = fetch): Promise<RTCIceServer[]> {
  try {
    const response = await fetchFn(url, { signal: AbortSignal.timeout(TURN_FETCH_TIMEOUT_MS) })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const parsed = parseWith(TurnResponse, await response.json())
    if (!parsed.ok) throw new Error(parsed.error.message)
    return parsed.value.iceServers
  } catch (error) {
    console.warn(`theatron: no TURN servers from the signal server (${(error as Error).message})`)
    return []
  }
}
