import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createSignalServer, type SignalServer } from '../../../signal-server/src/index.ts'
import { fetchTurnServers, iceConfiguration, turnUrl } from '../../src/lib/signaling/turn.ts'
import { expectWarning } from '../console.ts'

const TURN = { urls: ['turn:127.0.0.1:3478'], secret: 'shared-with-coturn', ttlSeconds: 600 }

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function signalServer(turn: typeof TURN | null): Promise<string> {
  const server: SignalServer = createSignalServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', turn })
  const { port } = await server.listen()
  closers.push(() => server.close())
  return `ws://127.0.0.1:${port}`
}

/** A plain HTTP server answering every request with `body`. */
async function answering(status: number, body: string): Promise<string> {
  const server: Server = createServer((_req, res) => res.writeHead(status).end(body))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  const address = server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/turn`
}

describe('turnUrl', () => {
  it.each([
    ['ws://127.0.0.1:8080', 'http://127.0.0.1:8080/turn'],
    ['wss://watch.example', 'https://watch.example/turn'],
  ])('%s → %s', (signal, url) => {
    expect(turnUrl(signal)).toBe(url)
  })
})

describe('iceConfiguration', () => {
  const stun = { urls: 'stun:stun.example:3478' }
  const turn = { urls: ['turn:turn.example:3478'], username: '1:a', credential: 'c' }

  it('adds the TURN servers to the configured ones', () => {
    expect(iceConfiguration([stun], [turn], false)).toEqual({
      iceServers: [stun, turn],
      iceTransportPolicy: 'all',
    })
  })

  it('relay-only: relayed candidates only', () => {
    expect(iceConfiguration([], [turn], true)).toEqual({ iceServers: [turn], iceTransportPolicy: 'relay' })
  })
})

describe('fetchTurnServers', () => {
  it("gets the signal server's TURN credentials", async () => {
    const servers = await fetchTurnServers(turnUrl(await signalServer(TURN)))
    expect(servers).toEqual([
      { urls: TURN.urls, username: expect.stringMatching(/^\d+:/) as string, credential: expect.any(String) },
    ])
  })

  it('none from a signal server without TURN, silently', async () => {
    expect(await fetchTurnServers(turnUrl(await signalServer(null)))).toEqual([])
  })

  it.each([
    ['an error status', 500, '{}', /HTTP 500/],
    ['no JSON', 200, '<html>', /JSON/],
    [
      'a STUN URL where TURN belongs',
      200,
      JSON.stringify({ iceServers: [{ urls: ['stun:x'], username: 'u', credential: 'c' }] }),
      /urls/,
    ],
  ])('none, with a warning, on %s', async (_name, status, body, reason) => {
    expect(await fetchTurnServers(await answering(status, body))).toEqual([])
    expect(expectWarning(/^theatron: no TURN servers from the signal server/)).toMatch(reason)
  })

  it('none, with a warning, when the server cannot be reached', async () => {
    const url = await answering(200, '{}')
    await closers.pop()?.()
    expect(await fetchTurnServers(url)).toEqual([])
    expectWarning(/^theatron: no TURN servers from the signal server/)
  })
})
