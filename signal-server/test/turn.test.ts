import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.ts'
import { DEFAULT_TURN_TTL_SECONDS, turnCredentials, turnFromEnv } from '../src/turn.ts'
import { startServer, stopServers } from './helpers.ts'

afterEach(stopServers)

const TURN = { urls: ['turn:turn.example:3478?transport=udp'], secret: 'north', ttlSeconds: 3600 }

describe('turnFromEnv', () => {
  it('is off without TURN_URLS and TURN_SECRET', () => {
    expect(turnFromEnv({})).toBeNull()
    expect(turnFromEnv({ TURN_URLS: '', TURN_SECRET: '' })).toBeNull()
  })

  it('reads comma-separated URLs, the secret and the lifetime', () => {
    expect(
      turnFromEnv({
        TURN_URLS: 'turn:a.example:3478, turns:a.example:5349?transport=tcp',
        TURN_SECRET: 's3cret',
        TURN_TTL_SECONDS: '600',
      }),
    ).toEqual({
      urls: ['turn:a.example:3478', 'turns:a.example:5349?transport=tcp'],
      secret: 's3cret',
      ttlSeconds: 600,
    })
    expect(turnFromEnv({ TURN_URLS: 'turn:a.example', TURN_SECRET: 's' })?.ttlSeconds).toBe(
      DEFAULT_TURN_TTL_SECONDS,
    )
  })

  it.each([
    [{ TURN_URLS: 'turn:a.example' }, /go together/],
    [{ TURN_SECRET: 's' }, /go together/],
    [{ TURN_URLS: 'stun:a.example', TURN_SECRET: 's' }, /not a turn: or turns: URL/],
    [{ TURN_URLS: 'turn:a.example', TURN_SECRET: 's', TURN_TTL_SECONDS: '1e3' }, /TURN_TTL_SECONDS/],
    [{ TURN_URLS: 'turn:a.example', TURN_SECRET: 's', TURN_TTL_SECONDS: '59' }, /TURN_TTL_SECONDS/],
  ])('refuses %j', (env, message) => {
    expect(() => turnFromEnv(env)).toThrow(ConfigError)
    expect(() => turnFromEnv(env)).toThrow(message)
  })
})

describe('turnCredentials', () => {
  it("computes coturn's use-auth-secret password: base64(HMAC-SHA1(secret, '<expiry>:<id>'))", () => {
    // Reference value: printf '1700043200:abc' | openssl dgst -sha1 -hmac north -binary | base64
    const credentials = turnCredentials(TURN, 1_700_039_600_000, () => 'abc')
    expect(credentials).toEqual({
      iceServers: [
        { urls: TURN.urls, username: '1700043200:abc', credential: 'PW9QPOzlnjUV5cyVtp58KPtMUIQ=' },
      ],
      ttl: 3600,
    })
  })

  it('gives each client its own username', () => {
    const a = turnCredentials(TURN, 0).iceServers[0]
    const b = turnCredentials(TURN, 0).iceServers[0]
    expect(a?.username).not.toBe(b?.username)
    expect(a?.username).toMatch(/^3600:[A-Za-z0-9_-]{12}$/)
  })

  it('is an empty list without TURN', () => {
    expect(turnCredentials(null, 0)).toEqual({ iceServers: [], ttl: 0 })
  })
})

describe('GET /turn', () => {
  it('answers fresh credentials that verify against the secret, not cached, readable cross-origin', async () => {
    const h = await startServer({ turn: TURN })
    const before = Math.floor(Date.now() / 1000)
    const res = await fetch(`${h.http}/turn`, { headers: { Origin: 'https://app.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = (await res.json()) as ReturnType<typeof turnCredentials>
    const [server] = body.iceServers
    expect(server?.urls).toEqual(TURN.urls)
    const expiry = Number(server?.username.split(':')[0])
    expect(expiry).toBeGreaterThanOrEqual(before + TURN.ttlSeconds)
    expect(expiry).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + TURN.ttlSeconds)
    const expected = createHmac('sha1', TURN.secret)
      .update(server?.username ?? '')
      .digest('base64')
    expect(server?.credential).toBe(expected)
  })

  it('with an origin allow-list, only listed origins may read it', async () => {
    const h = await startServer({ turn: TURN, allowedOrigins: ['https://app.example'] })
    const listed = await fetch(`${h.http}/turn`, { headers: { Origin: 'https://app.example' } })
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example')
    const other = await fetch(`${h.http}/turn`, { headers: { Origin: 'https://evil.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('without TURN configured: an empty list, so clients keep their own ICE servers', async () => {
    const h = await startServer()
    const res = await fetch(`${h.http}/turn`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ iceServers: [], ttl: 0 })
  })
})
