import type { Logger } from 'pino'
import type { TurnOptions } from './turn.ts'
import { parseAddress } from './cluster/direct-wire.ts'

export interface HeldLimits {
  /** Frames a waiting pipe side may send before its partner arrives. */
  frames: number
  /** Bytes of those frames. */
  bytes: number
  /** How long a pipe side may wait for its partner (with or without held frames). */
  ageMs: number
  /** Bytes held for all waiting pipe sides together: the server's memory bound for held frames. */
  totalBytes: number
}

export interface RateLimit {
  /** Burst size. */
  burst: number
  /** Sustained messages per second. 0 disables the limit. */
  perSecond: number
}

export interface SignalServerOptions {
  host: string
  /** 0 picks a free port; `listen()` returns the real one. */
  port: number
  /** The built client to serve over HTTP; null serves only the API endpoints. */
  clientDir: string | null
  logLevel: string
  /** A logger to use instead of a new pino instance (tests capture warnings with it). */
  logger: Logger | null
  /** Server pings every socket this often and terminates those that missed the previous pong. */
  heartbeatIntervalMs: number
  /** How long an existing socket gets to answer a ping when a second one claims its peer id. */
  duplicateProbeMs: number
  maxDocumentsPerPeer: number
  /** Max frame size on /introduction sockets (messages there are tiny). */
  introductionMaxPayload: number
  /** Max frame size on /connection pipes. */
  pipeMaxPayload: number
  held: HeldLimits
  /** Message rate on /introduction sockets. */
  introductionRate: RateLimit
  /** Message rate on /connection pipes; over it a side is slowed (reading paused), never closed. */
  pipeRate: RateLimit
  /** Invalid or over-rate messages tolerated before the socket is closed. */
  maxStrikes: number
  /** Open WebSocket connections per client address (IPv6: per /64). */
  maxConnectionsPerIp: number
  /** Open WebSocket connections in total (with upgrades in progress); over it upgrades get 503. */
  maxConnections: number
  /** An introduction socket that has joined no document within this time is closed (4408). */
  joinTimeoutMs: number
  /** Node's `headersTimeout`: a request (or upgrade) must send its headers within this time. */
  headersTimeoutMs: number
  /** Node's `requestTimeout`: a plain HTTP request must arrive whole within this time. */
  requestTimeoutMs: number
  /** Reverse proxies in front whose `X-Forwarded-For` entries are trusted for the client address (limits.ts). */
  trustedProxies: number
  /** Allowed `Origin` header values; null allows any (including none). */
  allowedOrigins: string[] | null
  /** Pause a pipe's reading side while its other side has this many bytes unsent. */
  pipeHighWaterMark: number
  /** Collect Node's default process metrics (a process-wide concern: the CLI turns it on). */
  processMetrics: boolean
  /** Serve HTTPS and WSS with this certificate and key (PEM); null: plain HTTP (or TLS at a proxy in front). */
  tls: TlsFiles | null
  /** Hand out TURN credentials on `GET /turn` (turn.ts); null: an empty list. */
  turn: TurnOptions | null
  /** `redis://host:port`: share presence, introductions and pipes with every instance using it; null: one process. */
  redisUrl: string | null
  cluster: ClusterLimits
}

export interface ClusterLimits {
  /** An instance silent this long is dead: its peers leave presence, pipes to it close. */
  instanceTtlMs: number
  /** Bytes a pipe side may have in flight to another instance before its reading pauses. */
  window: number
  /** Prefix of the Redis keys and channels. */
  prefix: string
  /**
   * Shared by every instance: with it, pipes between instances go over direct connections between
   * them (cluster/direct.ts) rather than through Redis; null: through Redis only.
   */
  secret: string | null
  /** `host:port` the internal listener for direct connections binds (port 0: any free port). */
  listen: string
  /** `host` or `host:port` other instances dial; null: the listen address (not a wildcard one). */
  advertise: string | null
}

export interface TlsFiles {
  cert: string | Buffer
  key: string | Buffer
}

export const DEFAULTS: SignalServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  clientDir: null,
  logLevel: 'info',
  logger: null,
  heartbeatIntervalMs: 30_000,
  duplicateProbeMs: 2_000,
  maxDocumentsPerPeer: 64,
  introductionMaxPayload: 16 * 1024,
  pipeMaxPayload: 4 * 1024 * 1024,
  held: { frames: 256, bytes: 1024 * 1024, ageMs: 30_000, totalBytes: 256 * 1024 * 1024 },
  introductionRate: { burst: 100, perSecond: 50 },
  pipeRate: { burst: 50_000, perSecond: 50_000 },
  maxStrikes: 10,
  maxConnectionsPerIp: 256,
  maxConnections: 50_000,
  joinTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  trustedProxies: 0,
  allowedOrigins: null,
  pipeHighWaterMark: 4 * 1024 * 1024,
  processMetrics: false,
  tls: null,
  turn: null,
  redisUrl: null,
  cluster: {
    instanceTtlMs: 10_000,
    window: 4 * 1024 * 1024,
    prefix: 'theatron',
    secret: null,
    listen: '127.0.0.1:0',
    advertise: null,
  },
}

export type SignalServerInput = Partial<
  Omit<SignalServerOptions, 'held' | 'introductionRate' | 'pipeRate' | 'cluster'>
> & {
  held?: Partial<HeldLimits>
  cluster?: Partial<ClusterLimits>
  introductionRate?: Partial<RateLimit>
  pipeRate?: Partial<RateLimit>
}

/** Drop undefined values, so a spread never replaces a default with `undefined`. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function resolveOptions(input: SignalServerInput = {}): SignalServerOptions {
  return {
    ...DEFAULTS,
    ...defined(input),
    held: { ...DEFAULTS.held, ...defined(input.held) },
    introductionRate: { ...DEFAULTS.introductionRate, ...defined(input.introductionRate) },
    pipeRate: { ...DEFAULTS.pipeRate, ...defined(input.pipeRate) },
    cluster: { ...DEFAULTS.cluster, ...defined(input.cluster) },
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Options from environment variables (the CLI); unknown or malformed values are errors, not guesses. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): SignalServerInput {
  // Digits only: Number(' ') is 0 and Number('1e3') is 1000. Only PORT may be 0: a zero interval,
  // age, count or payload would terminate or refuse every socket (ws reads maxPayload 0 as unlimited).
  const int = (name: string, min = 1): number | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return undefined
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min)
      throw new ConfigError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(raw)}`)
    return value
  }
  const origins = env.ALLOWED_ORIGINS?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  return {
    host: env.HOST || undefined,
    port: int('PORT', 0),
    logLevel: env.LOG_LEVEL || undefined,
    heartbeatIntervalMs: int('HEARTBEAT_INTERVAL_MS'),
    maxConnectionsPerIp: int('MAX_CONNECTIONS_PER_IP'),
    maxConnections: int('MAX_CONNECTIONS'),
    joinTimeoutMs: int('JOIN_TIMEOUT_MS'),
    headersTimeoutMs: int('HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS'),
    trustedProxies: int('TRUSTED_PROXIES', 0),
    maxDocumentsPerPeer: int('MAX_DOCUMENTS_PER_PEER'),
    pipeMaxPayload: int('PIPE_MAX_PAYLOAD'),
    held: {
      frames: int('HELD_MAX_FRAMES'),
      bytes: int('HELD_MAX_BYTES'),
      ageMs: int('HELD_MAX_AGE_MS'),
      totalBytes: int('HELD_MAX_TOTAL_BYTES'),
    },
    allowedOrigins: origins && origins.length > 0 ? origins : undefined,
    redisUrl: redisUrl(env.REDIS_URL),
    cluster: {
      instanceTtlMs: int('CLUSTER_INSTANCE_TTL_MS', 500),
      ...directFromEnv(env),
    },
  }
}

/** A shorter secret could be guessed: it is refused at startup. */
const SECRET_MIN_LENGTH = 16

/** `CLUSTER_SECRET`, `CLUSTER_LISTEN`, `CLUSTER_ADVERTISE` (docs/deploy.md). */
function directFromEnv(env: NodeJS.ProcessEnv): Partial<ClusterLimits> {
  const secret = env.CLUSTER_SECRET || undefined
  const listen = env.CLUSTER_LISTEN || undefined
  const advertise = env.CLUSTER_ADVERTISE || undefined
  if (secret === undefined) {
    if (listen !== undefined || advertise !== undefined)
      throw new ConfigError('CLUSTER_LISTEN and CLUSTER_ADVERTISE need CLUSTER_SECRET')
    return {}
  }
  if (secret.length < SECRET_MIN_LENGTH)
    throw new ConfigError(`CLUSTER_SECRET must be at least ${SECRET_MIN_LENGTH} characters`)
  const bound = parseAddress(listen ?? DEFAULTS.cluster.listen)
  if (bound === null) throw new ConfigError(`CLUSTER_LISTEN must be host:port, got ${JSON.stringify(listen)}`)
  if (advertise !== undefined && !/^[^\s/]+$/.test(advertise))
    throw new ConfigError(`CLUSTER_ADVERTISE must be host or host:port, got ${JSON.stringify(advertise)}`)
  if (advertise === undefined && (bound.host === '0.0.0.0' || bound.host === '::'))
    throw new ConfigError(
      'CLUSTER_LISTEN binds every interface: set CLUSTER_ADVERTISE to the address other instances dial',
    )
  return { secret, listen, advertise }
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`)
  return raw
}
