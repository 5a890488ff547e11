import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CloseCode } from '../src/errors.ts'
import { createSignalServer } from '../src/server.ts'
import {
  captureLogger,
  Client,
  connectionUrl,
  joined,
  eventually,
  introductionUrl,
  msgpackPeer,
  open,
  roundTrip,
  startServer,
  stopServers,
} from './helpers.ts'

afterEach(stopServers)

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/**
 * `npx tsx …` without npm's wrapper: `npm exec` runs tsx through `sh -c` and exits 143 on SIGTERM
 * without passing the signal on, orphaning the server. tsx itself relays signals to its child.
 */
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
const MAIN = 'signal-server/src/main.ts'

describe('heartbeat', () => {
  it.each([
    ['introduction', (port: number) => `ws://127.0.0.1:${port}/introduction/silent`, 30],
    // The pipe's registrations must answer in time too: a longer beat keeps a loaded machine from dropping them.
    ['connection', (port: number) => `ws://127.0.0.1:${port}/connection/silent/other/doc`, 200],
  ])('terminates a %s socket that misses a pong', async (endpoint, url, heartbeatIntervalMs) => {
    const h = await startServer({ heartbeatIntervalMs })
    const peers = endpoint === 'connection' ? await joined(h, 'doc', 'silent', 'other') : []
    const silent = new Client(url(h.port), { autoPong: false })
    const pings = { count: 0 }
    silent.ws.on('ping', () => pings.count++)
    await silent.opened
    expect((await silent.closed).code).toBe(1006) // terminated: no close frame
    // Terminated by the heartbeat: at the beat after the one whose ping went unanswered, however late the
    // machine runs the beats.
    expect(pings.count).toBe(1)
    for (const peer of peers) peer.ws.terminate()
    await eventually(() =>
      expect(h.server.stats()).toMatchObject({
        peers: 0,
        pipesWaiting: 0,
        connections: { introduction: 0, connection: 0 },
      }),
    )
  })

  it('keeps sockets that answer pings, across many intervals', async () => {
    const h = await startServer({ heartbeatIntervalMs: 20 })
    const alice = await msgpackPeer(h, 'alice', ['doc'])
    const pings = { count: 0 }
    alice.ws.on('ping', () => pings.count++)
    await eventually(() => expect(pings.count).toBeGreaterThanOrEqual(5))
    expect(alice.ws.readyState).toBe(WebSocket.OPEN)
    const bob = await msgpackPeer(h, 'bob', ['doc'])
    expect((await bob.nextMessage()).peerId).toBe('alice')
  })
})

describe('close()', () => {
  it('closes every socket with 1001: introduction, piped, held and waiting-on-a-probe', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const peer = await msgpackPeer(h, 'alice', ['doc'])
    const stale = await open(introductionUrl(h, 'bob'), { autoPong: false })
    const prober = await open(introductionUrl(h, 'bob'))
    const peers = await joined(h, 'doc', 'a', 'b', 'c', 'd')
    const a = await open(connectionUrl(h, 'a', 'b', 'doc'))
    const b = await open(connectionUrl(h, 'b', 'a', 'doc'))
    const held = await open(connectionUrl(h, 'c', 'd', 'doc'))
    await held.send('held', false)
    await Promise.all([peer, prober, a, b, held].map(roundTrip))
    await h.server.close()
    for (const client of [peer, stale, prober, a, b, held, ...peers]) {
      expect(await client.closed).toEqual({ code: CloseCode.GoingAway, reason: 'server is shutting down' })
    }
    expect(h.server.stats()).toMatchObject({
      connections: { introduction: 0, connection: 0 },
      peers: 0,
      probes: 0,
      pipesOpen: 0,
      pipesWaiting: 0,
      heldFrames: 0,
      addresses: 0,
    })
  })

  it('closes the HTTP listener: connecting afterwards fails', async () => {
    const h = await startServer()
    await fetch(`${h.http}/healthz`) // leaves a keep-alive connection open
    await h.server.close()
    await expect(fetch(`${h.http}/healthz`)).rejects.toThrow()
    const ws = new WebSocket(introductionUrl(h, 'late'))
    const [error] = (await once(ws, 'error')) as [NodeJS.ErrnoException]
    expect(error.code).toBe('ECONNREFUSED')
  })

  it('is idempotent, and works before listen()', async () => {
    const { logger } = captureLogger()
    const never = createSignalServer({ port: 0, logger })
    await never.close()
    const h = await startServer()
    await Promise.all([h.server.close(), h.server.close()])
  })

  it('finishes even when a client never answers the close handshake', async () => {
    const h = await startServer()
    const client = await open(introductionUrl(h, 'alice'))
    // Stop reading: the client never sends its close frame back.
    client.ws.pause()
    ;(client.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const started = performance.now()
    await h.server.close()
    expect(performance.now() - started).toBeLessThan(4000)
  })

  it('listen() resolves with the real port when port is 0', async () => {
    const h = await startServer()
    expect(h.port).toBeGreaterThan(0)
    expect(h.records.some((r) => r.msg === 'listening' && r.port === h.port)).toBe(true)
  })
})

describe('CLI', () => {
  it('prints the real port, serves, and exits 0 within 5 s of SIGTERM, closing sockets with 1001', async () => {
    const child = spawn(TSX, [MAIN, '--no-client'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    try {
      const lines = createInterface({ input: child.stdout })
      let port = 0
      for await (const line of lines) {
        const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line)
        if (match) {
          port = Number(match[1])
          break
        }
      }
      expect(port).toBeGreaterThan(0)
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string }
      expect(health.status).toBe('ok')
      const client = await open(`ws://127.0.0.1:${port}/introduction/alice`)
      const started = performance.now()
      child.kill('SIGTERM')
      expect((await client.closed).code).toBe(CloseCode.GoingAway)
      const [code] = await exited
      expect(code).toBe(0)
      expect(performance.now() - started).toBeLessThan(5000)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('exits 2 on a configuration error', async () => {
    const child = spawn(TSX, [MAIN, '--no-client'], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(2)
    expect(stderr).toMatch(/PORT/)
  })
})
