/**
 * Runtime configuration. Each value can be set per browser in localStorage (handy for tests and
 * for pointing a dev build elsewhere) or at build time through Vite env variables.
 *
 * - `theatron:signal-url` / VITE_SIGNAL_URL: ws(s) base URL of the signal server (default: this origin)
 * - `theatron:ice-servers` / VITE_ICE_SERVERS: JSON array of RTCIceServer (default: public STUN; `[]` in tests)
 * - `theatron:ice-relay-only` / VITE_ICE_RELAY_ONLY: `1` or `true` makes every WebRTC connection use relayed
 *   (TURN) candidates only (`iceTransportPolicy: 'relay'`): no direct path, and no address of this machine
 *   reaches the other members
 */
const DEFAULT_ICE_SERVERS: RTCIceServer[] = [
  { urls: ['stun:stun.l.google.com:19302', 'stun:global.stun.twilio.com:3478'] },
]

export function signalUrl(storage: Storage, location: Location): string {
  const configured = storage.getItem('theatron:signal-url') ?? import.meta.env.VITE_SIGNAL_URL
  if (typeof configured === 'string' && /^wss?:\/\//.test(configured)) return configured.replace(/\/+$/, '')
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
}

export function iceRelayOnly(storage: Storage): boolean {
  const configured = storage.getItem('theatron:ice-relay-only') ?? import.meta.env.VITE_ICE_RELAY_ONLY
  return configured === '1' || configured === 'true'
}

export function iceServers(storage: Storage): RTCIceServer[] {
  const configured = storage.getItem('theatron:ice-servers') ?? import.meta.env.VITE_ICE_SERVERS
  if (typeof configured !== 'string') return DEFAULT_ICE_SERVERS
  try {
    const parsed: unknown = JSON.parse(configured)
    if (Array.isArray(parsed)) return parsed as RTCIceServer[]
  } catch {
    // fall through to the default
  }
  console.warn('theatron: ignoring invalid ice-servers configuration')
  return DEFAULT_ICE_SERVERS
}

/**
 * A setting with two values, the first its default: the value in localStorage (`theatron:<name>`), else the one
 * the build was given (`built`, its VITE_ variable: Vite inlines only those read by name). Anything else is
 * warned about and read as the default.
 */
export function twoWaySetting<T extends string>(
  storage: Pick<Storage, 'getItem'>,
  name: string,
  built: string | undefined,
  [byDefault, other]: readonly [T, T],
): T {
  const configured = storage.getItem(`theatron:${name}`) ?? built
  if (configured === undefined || configured === null || configured === byDefault) return byDefault
  if (configured === other) return other
  console.warn(`theatron: ignoring invalid ${name} configuration (${byDefault} or ${other})`)
  return byDefault
}
