import { readFileSync } from 'node:fs'
import { get } from 'node:https'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.ts'
import { tlsFromEnv } from '../src/main.ts'
import { open, roundTrip, startServer, stopServers } from './helpers.ts'

// A self-signed certificate for localhost and 127.0.0.1 (openssl, valid for 100 years): test data only.
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url)
const cert = readFileSync(fixture('localhost-cert.pem'))
const key = readFileSync(fixture('localhost-key.pem'))

afterEach(stopServers)

function httpsJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: cert }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      )
    }).on('error', reject)
  })
}

describe('HTTPS', () => {
  it('serves HTTPS and WSS with the given certificate', async () => {
    const h = await startServer({ tls: { cert, key } })
    expect(await httpsJson(`https://127.0.0.1:${h.port}/healthz`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    })
    const peer = await open(`wss://127.0.0.1:${h.port}/introduction/alice`, { ca: cert })
    await roundTrip(peer)
    expect(h.server.stats().connections.introduction).toBe(1)
    // Plain HTTP on the TLS port is not served.
    await expect(fetch(`http://127.0.0.1:${h.port}/healthz`)).rejects.toThrow()
  })

  it('TLS_CERT and TLS_KEY: both or neither, and readable', () => {
    const files: Record<string, Buffer> = { '/c.pem': cert, '/k.pem': key }
    const read = (path: string) => {
      const found = files[path]
      if (!found) throw new Error('ENOENT: no such file')
      return found
    }
    expect(tlsFromEnv({}, read)).toBeNull()
    expect(tlsFromEnv({ TLS_CERT: '', TLS_KEY: '' }, read)).toBeNull()
    expect(tlsFromEnv({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }, read)).toEqual({ cert, key })
    expect(() => tlsFromEnv({ TLS_CERT: '/c.pem' }, read)).toThrow(ConfigError)
    expect(() => tlsFromEnv({ TLS_KEY: '/k.pem' }, read)).toThrow(ConfigError)
    expect(() => tlsFromEnv({ TLS_CERT: '/c.pem', TLS_KEY: '/missing.pem' }, read)).toThrow(
      /TLS_KEY: cannot read "\/missing.pem"/,
    )
  })
})
