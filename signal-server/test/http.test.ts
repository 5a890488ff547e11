import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  connectionUrl,
  joined,
  eventually,
  introductionUrl,
  jsonPeer,
  metricsText,
  msgpackPeer,
  open,
  refusedUpgrade,
  roundTrip,
  sample,
  startServer,
  stopServers,
} from './helpers.ts'

afterEach(stopServers)

const INDEX = '<!doctype html><title>Theatron</title>'
const APP = 'console.log("app")'
const SW = 'self.addEventListener("fetch", () => {})'
let clientDir: string

beforeAll(() => {
  clientDir = mkdtempSync(join(tmpdir(), 'theatron-client-'))
  mkdirSync(join(clientDir, 'assets'))
  writeFileSync(join(clientDir, 'index.html'), INDEX)
  writeFileSync(join(clientDir, 'assets', 'app-3f2a1b.js'), APP)
  writeFileSync(join(clientDir, 'sw.min.js'), SW)
  writeFileSync(join(clientDir, '.env'), 'SECRET=1')
})

afterAll(() => rmSync(clientDir, { recursive: true, force: true }))

/** A raw GET, so paths like `/../x` reach the server unnormalized. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('static client', () => {
  it.each(['/', '/room/abc-123', '/assets/app-3f2a1b.js', '/sw.min.js'])(
    '%s carries the security headers',
    async (path) => {
      const h = await startServer({ clientDir })
      const res = await fetch(`${h.http}${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      const policy = new Map(
        (res.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
          const [name = '', ...values] = directive.trim().split(/\s+/)
          return [name, values] as const
        }),
      )
      expect(policy.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"])
      expect(policy.get('default-src')).toEqual(["'self'"])
      expect(policy.get('frame-ancestors')).toEqual(["'none'"])
      expect(policy.get('object-src')).toEqual(["'none'"])
      expect(policy.get('media-src')).toEqual([
        "'self'",
        'blob:',
        'https:',
        'http://127.0.0.1:*',
        'http://localhost:*',
      ])
      expect(policy.get('worker-src')).toEqual(["'self'"])
    },
  )

  it('serves index.html with no-cache', async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(await res.text()).toBe(INDEX)
  })

  it('serves hashed assets as immutable', async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/assets/app-3f2a1b.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await res.text()).toBe(APP)
  })

  it('falls back to index.html for app routes (SPA), not cached', async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/room/abc-123?x=1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(await res.text()).toBe(INDEX)
  })

  it('a missing file is 404, never index.html (which would be cached as an immutable asset)', async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/assets/missing-0000.js`)
    expect(res.status).toBe(404)
    expect(res.headers.get('cache-control')).not.toMatch(/immutable/)
  })

  it("serves WebTorrent's service worker at the root with Service-Worker-Allowed: /", async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/sw.min.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('service-worker-allowed')).toBe('/')
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(await res.text()).toBe(SW)
  })

  it('serves no dotfiles and nothing outside the client directory', async () => {
    const h = await startServer({ clientDir })
    expect((await rawGet(h.port, '/.env')).body).not.toContain('SECRET')
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const res = await rawGet(h.port, path)
      expect(res.body).not.toContain('"name"')
    }
  })

  it('answers other methods with 405', async () => {
    const h = await startServer({ clientDir })
    const res = await fetch(`${h.http}/`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  it('without a client, plain paths are 404 JSON', async () => {
    const h = await startServer()
    const res = await fetch(`${h.http}/`)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: 'not-found' })
  })

  it('a client directory that was not built: a warning, API still served', async () => {
    const h = await startServer({ clientDir: join(clientDir, 'assets') })
    expect(h.takeWarnings().map((w) => w.msg)).toEqual([expect.stringMatching(/not built/) as string])
    expect((await fetch(`${h.http}/healthz`)).status).toBe(200)
  })
})

describe('/healthz', () => {
  it('returns JSON with status and live counts', async () => {
    const h = await startServer()
    await jsonPeer(h, 'alice', ['doc'])
    const res = await fetch(`${h.http}/healthz`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ status: 'ok', peers: 1, documents: 1, connections: { introduction: 1 } })
    expect(typeof body.uptimeSeconds).toBe('number')
  })
})

describe('/metrics', () => {
  it('exposes Prometheus text with the right values', async () => {
    const h = await startServer({ held: { frames: 1 } })
    // 2 introduction peers in one document, 1 open pipe with 5 bytes piped, 1 held side with 1 frame.
    const alice = await msgpackPeer(h, 'alice', ['doc'])
    const bob = await jsonPeer(h, 'bob', ['doc'])
    await Promise.all([alice.next(), bob.next()])
    const a = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    await a.send('hello', false)
    const b = await open(connectionUrl(h, 'bob', 'alice', 'doc'))
    await b.next()
    await joined(h, 'other', 'carol', 'dave', 'erin', 'frank')
    const held = await open(connectionUrl(h, 'carol', 'dave', 'other'))
    await held.send('wait', false)
    await roundTrip(held)
    // Rejections: a bad id, an unknown path, a held overflow.
    await refusedUpgrade(`${h.ws}/introduction/bad%20id`)
    await refusedUpgrade(`${h.ws}/nowhere`)
    const overflow = await open(connectionUrl(h, 'erin', 'frank', 'other'))
    overflow.ws.send('1')
    overflow.ws.send('2')
    await overflow.closed

    const res = await fetch(`${h.http}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    expect(sample(text, 'theatron_signal_connections{endpoint="introduction"}')).toBe(6)
    expect(sample(text, 'theatron_signal_connections{endpoint="connection"}')).toBe(3)
    expect(sample(text, 'theatron_signal_peers')).toBe(6)
    expect(sample(text, 'theatron_signal_documents')).toBe(2)
    expect(sample(text, 'theatron_signal_pipes_open')).toBe(1)
    expect(sample(text, 'theatron_signal_pipes_waiting')).toBe(1)
    expect(sample(text, 'theatron_signal_held_frames')).toBe(1)
    expect(sample(text, 'theatron_signal_held_bytes')).toBe(4)
    expect(sample(text, 'theatron_signal_piped_bytes_total')).toBe(5)
    expect(sample(text, 'theatron_signal_introductions_total')).toBe(2 + 12)
    expect(sample(text, 'theatron_signal_rejections_total{reason="bad-id"}')).toBe(1)
    expect(sample(text, 'theatron_signal_rejections_total{reason="not-found"}')).toBe(1)
    expect(sample(text, 'theatron_signal_rejections_total{reason="held-too-much"}')).toBe(1)
    expect(text).toMatch(/# TYPE theatron_signal_piped_bytes_total counter/)
    expect(text).toMatch(/# TYPE theatron_signal_connections gauge/)
  })

  it('counts duplicate-peer, origin, ip-limit and bad-messages rejections', async () => {
    const h = await startServer({
      maxStrikes: 1,
      maxConnectionsPerIp: 3,
      allowedOrigins: ['http://ok.example'],
      duplicateProbeMs: 5_000,
    })
    const origin = 'http://ok.example'
    await refusedUpgrade(introductionUrl(h, 'x'), { Origin: 'http://evil.example' })
    await open(introductionUrl(h, 'alice'), { origin })
    const twin = await open(introductionUrl(h, 'alice'), { origin })
    await twin.closed
    const spammer = await open(introductionUrl(h, 'spam'), { origin })
    spammer.ws.send('nope')
    await spammer.closed
    await eventually(() => expect(h.server.stats().connections.introduction).toBe(1))
    await open(introductionUrl(h, 'b'), { origin })
    await open(introductionUrl(h, 'c'), { origin })
    await refusedUpgrade(introductionUrl(h, 'd'), { Origin: origin })
    const text = await metricsText(h)
    for (const reason of ['origin', 'duplicate-peer', 'bad-messages', 'ip-limit']) {
      expect(sample(text, `theatron_signal_rejections_total{reason="${reason}"}`), reason).toBe(1)
    }
  })

  it('two servers in one process keep separate metrics', async () => {
    const one = await startServer()
    const two = await startServer()
    await jsonPeer(one, 'alice', [])
    await eventually(() => expect(one.server.stats().peers).toBe(1))
    expect(sample(await metricsText(one), 'theatron_signal_peers')).toBe(1)
    expect(sample(await metricsText(two), 'theatron_signal_peers')).toBe(0)
  })
})
