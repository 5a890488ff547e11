import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULTS, optionsFromEnv, resolveOptions } from '../src/config.ts'

describe('resolveOptions', () => {
  it('fills defaults, also inside nested groups', () => {
    const options = resolveOptions({ port: 0, held: { frames: 3 }, introductionRate: { burst: 5 } })
    expect(options.port).toBe(0)
    expect(options.held).toEqual({ ...DEFAULTS.held, frames: 3 })
    expect(options.introductionRate).toEqual({ ...DEFAULTS.introductionRate, burst: 5 })
    expect(options.pipeRate).toEqual(DEFAULTS.pipeRate)
  })

  it('never replaces a default with undefined', () => {
    const options = resolveOptions({ port: undefined, held: { bytes: undefined } })
    expect(options.port).toBe(DEFAULTS.port)
    expect(options.held.bytes).toBe(DEFAULTS.held.bytes)
  })

  it('defaults are generous but bounded', () => {
    expect(DEFAULTS.introductionMaxPayload).toBeLessThan(DEFAULTS.pipeMaxPayload)
    expect(DEFAULTS.pipeMaxPayload).toBeLessThan(100 * 1024 * 1024)
    expect(DEFAULTS.duplicateProbeMs).toBe(2000)
    expect(DEFAULTS.heartbeatIntervalMs).toBe(30_000)
  })
})

describe('optionsFromEnv', () => {
  it('reads every variable', () => {
    expect(
      optionsFromEnv({
        HOST: '0.0.0.0',
        PORT: '0',
        LOG_LEVEL: 'warn',
        HEARTBEAT_INTERVAL_MS: '1000',
        MAX_CONNECTIONS_PER_IP: '10',
        TRUSTED_PROXIES: '0',
        MAX_DOCUMENTS_PER_PEER: '5',
        PIPE_MAX_PAYLOAD: '2048',
        HELD_MAX_FRAMES: '7',
        HELD_MAX_BYTES: '99',
        HELD_MAX_AGE_MS: '500',
        ALLOWED_ORIGINS: ' https://a.example , https://b.example,',
        REDIS_URL: 'redis://127.0.0.1:6380',
        CLUSTER_INSTANCE_TTL_MS: '2000',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      logLevel: 'warn',
      heartbeatIntervalMs: 1000,
      maxConnectionsPerIp: 10,
      trustedProxies: 0,
      maxDocumentsPerPeer: 5,
      pipeMaxPayload: 2048,
      held: { frames: 7, bytes: 99, ageMs: 500 },
      allowedOrigins: ['https://a.example', 'https://b.example'],
      redisUrl: 'redis://127.0.0.1:6380',
      cluster: { instanceTtlMs: 2000 },
    })
  })

  it.each([['localhost:6379'], ['http://redis:6379'], ['redis']])('rejects REDIS_URL=%j', (value) => {
    expect(() => optionsFromEnv({ REDIS_URL: value })).toThrow(ConfigError)
  })

  it('reads the direct links between instances: secret, listen and advertise addresses', () => {
    const secret = 'sixteen-chars-at-least'
    expect(optionsFromEnv({ CLUSTER_SECRET: secret }).cluster).toEqual({ secret })
    expect(
      optionsFromEnv({
        CLUSTER_SECRET: secret,
        CLUSTER_LISTEN: '0.0.0.0:7000',
        CLUSTER_ADVERTISE: '10.0.0.5',
      }).cluster,
    ).toEqual({ secret, listen: '0.0.0.0:7000', advertise: '10.0.0.5' })
    expect(optionsFromEnv({ CLUSTER_SECRET: '' }).cluster).toEqual({})
  })

  it.each([
    [{ CLUSTER_SECRET: 'too-short' }],
    [{ CLUSTER_LISTEN: '10.0.0.5:7000' }],
    [{ CLUSTER_SECRET: 'sixteen-chars-at-least', CLUSTER_LISTEN: '10.0.0.5' }],
    [{ CLUSTER_SECRET: 'sixteen-chars-at-least', CLUSTER_LISTEN: '0.0.0.0:7000' }],
    [{ CLUSTER_SECRET: 'sixteen-chars-at-least', CLUSTER_LISTEN: '[::]:7000' }],
    [{ CLUSTER_SECRET: 'sixteen-chars-at-least', CLUSTER_ADVERTISE: 'http://x/' }],
  ])('rejects %j', (env) => {
    expect(() => optionsFromEnv(env)).toThrow(ConfigError)
  })

  it('leaves unset and empty variables to the defaults', () => {
    const options = resolveOptions(optionsFromEnv({ PORT: '', ALLOWED_ORIGINS: ' , ' }))
    expect(options).toMatchObject({
      port: DEFAULTS.port,
      allowedOrigins: null,
      held: DEFAULTS.held,
      redisUrl: null,
      cluster: DEFAULTS.cluster,
    })
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '1.5'],
    ['HELD_MAX_BYTES', '1e3x'],
    ['MAX_CONNECTIONS_PER_IP', ' '],
    ['HELD_MAX_BYTES', '1e3'],
    ['PORT', '0x10'],
  ])('rejects %s=%j with a ConfigError', (name, value) => {
    expect(() => optionsFromEnv({ [name]: value })).toThrow(ConfigError)
  })

  it.each([
    ['HEARTBEAT_INTERVAL_MS'],
    ['HELD_MAX_AGE_MS'],
    ['MAX_CONNECTIONS_PER_IP'],
    ['HELD_MAX_FRAMES'],
    ['PIPE_MAX_PAYLOAD'],
  ])('rejects %s=0 (it would kill or refuse every socket, or lift a limit)', (name) => {
    expect(() => optionsFromEnv({ [name]: '0' })).toThrow(ConfigError)
  })
})
