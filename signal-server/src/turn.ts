/**
 * TURN credentials for the members WebRTC cannot connect directly (symmetric NATs, strict firewalls),
 * by the TURN REST API that coturn implements with `use-auth-secret` (as Jitsi and Matrix use it): the
 * server and coturn share a secret; each client gets a username `<expiry>:<random>` and the password
 * base64(HMAC-SHA1(secret, username)), which coturn recomputes and accepts until the expiry. No state,
 * no call between the two servers. `GET /turn` answers `{iceServers, ttl}`; without TURN configured
 * `iceServers` is empty and clients keep their own ICE configuration.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { ConfigError } from './config.ts'

export interface TurnOptions {
  /** `turn:`/`turns:` URLs of the TURN servers, all sharing `secret`. */
  urls: string[]
  /** coturn's `static-auth-secret`. */
  secret: string
  /** How long credentials stay valid. An allocation is refreshed with them, so a call needs them for its length. */
  ttlSeconds: number
}

export interface TurnCredentials {
  iceServers: Array<{ urls: string[]; username: string; credential: string }>
  /** Seconds the credentials stay valid (0 when there are none). */
  ttl: number
}

/** Twelve hours: longer than a film night, short enough that a leaked credential soon expires. */
export const DEFAULT_TURN_TTL_SECONDS = 12 * 60 * 60

const TURN_URL = /^turns?:[^\s,]+$/

/** `TURN_URLS` (comma-separated), `TURN_SECRET` and `TURN_TTL_SECONDS`: both of the first two or neither. */
export function turnFromEnv(env: NodeJS.ProcessEnv): TurnOptions | null {
  const urls = (env.TURN_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
  const secret = env.TURN_SECRET ?? ''
  if (urls.length === 0 && secret === '') return null
  if (urls.length === 0 || secret === '')
    throw new ConfigError('TURN_URLS and TURN_SECRET go together: set both or neither')
  const bad = urls.find((url) => !TURN_URL.test(url))
  if (bad !== undefined)
    throw new ConfigError(`TURN_URLS: ${JSON.stringify(bad)} is not a turn: or turns: URL`)
  const rawTtl = env.TURN_TTL_SECONDS
  let ttlSeconds = DEFAULT_TURN_TTL_SECONDS
  if (rawTtl !== undefined && rawTtl !== '') {
    ttlSeconds = Number(rawTtl)
    if (!/^\d+$/.test(rawTtl) || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 60)
      throw new ConfigError(
        `TURN_TTL_SECONDS must be an integer of at least 60, got ${JSON.stringify(rawTtl)}`,
      )
  }
  return { urls, secret, ttlSeconds }
}

/** Credentials valid from `nowMs` for the configured time; none when TURN is not configured. */
export function turnCredentials(
  options: TurnOptions | null,
  nowMs: number,
  random: () => string = () => randomBytes(9).toString('base64url'),
): TurnCredentials {
  if (options === null) return { iceServers: [], ttl: 0 }
  const expiry = Math.floor(nowMs / 1000) + options.ttlSeconds
  const username = `${expiry}:${random()}`
  const credential = createHmac('sha1', options.secret).update(username).digest('base64')
  return { iceServers: [{ urls: options.urls, username, credential }], ttl: options.ttlSeconds }
}
