/**
 * Test harness: real servers on port 0 with a logger that captures warnings (a test fails on any
 * warning it did not expect), and `ws` clients whose messages and close are awaitable, so tests
 * synchronize on events, never on sleeps.
 */
import { once } from 'node:events'
import { pack, unpack } from 'msgpackr'
import { pino, type Logger } from 'pino'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws'
import { createSignalServer, type SignalServer } from '../src/server.ts'
import type { SignalServerInput } from '../src/config.ts'

export interface LogRecord {
  level: number
  msg: string
  [key: string]: unknown
}

const WARN = 40

/** A pino logger writing parsed records into `records` (synchronously, no worker thread). */
export function captureLogger(level = 'debug'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = []
  const logger = pino(
    { level },
    {
      write(line: string) {
        records.push(JSON.parse(line) as LogRecord)
      },
    },
  )
  return { logger, records }
}

export class Harness {
  readonly server: SignalServer
  readonly port: number
  readonly records: LogRecord[]
  /** Warnings a test has declared as expected (consumed by `expectWarning`). */
  #expected = 0

  constructor(server: SignalServer, port: number, records: LogRecord[]) {
    this.server = server
    this.port = port
    this.records = records
  }

  get http(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get ws(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  get warnings(): LogRecord[] {
    return this.records.filter((record) => record.level >= WARN)
  }

  /** Declare that the warnings logged so far are expected; returns them for assertions. */
  takeWarnings(): LogRecord[] {
    const warnings = this.warnings
    this.#expected = warnings.length
    return warnings
  }

  unexpectedWarnings(): LogRecord[] {
    return this.warnings.slice(this.#expected)
  }

  /** Resolves when a record matching `predicate` is logged (at once if one already was). */
  async waitForLog(predicate: (record: LogRecord) => boolean): Promise<LogRecord> {
    for (;;) {
      const found = this.records.find(predicate)
      if (found) return found
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}

const running = new Set<Harness>()

export async function startServer(options: SignalServerInput = {}, logLevel = 'debug'): Promise<Harness> {
  const { logger, records } = captureLogger(logLevel)
  const server = createSignalServer({ host: '127.0.0.1', port: 0, logger, ...options })
  const { port } = await server.listen()
  const harness = new Harness(server, port, records)
  running.add(harness)
  return harness
}

/** For `afterEach`: close every server started by the test and fail on unexpected warnings. */
export async function stopServers(): Promise<void> {
  const harnesses = [...running]
  running.clear()
  await Promise.all(harnesses.map((harness) => harness.server.close()))
  for (const client of clients) client.terminate()
  clients.clear()
  const unexpected = harnesses.flatMap((harness) => harness.unexpectedWarnings())
  if (unexpected.length > 0) {
    throw new Error(`unexpected warnings: ${JSON.stringify(unexpected, null, 2)}`)
  }
}

const bareServers: WebSocketServer[] = []
const bareClients: WebSocket[] = []

/**
 * A real socket pair on a bare `ws` server, no signal server: the server's end (to send from) and the client
 * (to receive). For tests of what the server writes to a socket; `closeSocketPairs` in `afterEach`.
 */
export async function socketPair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  bareServers.push(wss)
  await once(wss, 'listening')
  const connected = once(wss, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  bareClients.push(client)
  await once(client, 'open')
  const [server] = await connected
  return { server, client }
}

/** For `afterEach`: close every socket pair a test opened. */
export async function closeSocketPairs(): Promise<void> {
  for (const client of bareClients.splice(0)) client.terminate()
  await Promise.all(bareServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
}

export interface Frame {
  data: Buffer
  isBinary: boolean
}

export interface Closed {
  code: number
  reason: string
}

const clients = new Set<WebSocket>()

/** A `ws` client whose frames are queued from the start, so none is missed between awaits. */
export class Client {
  readonly ws: WebSocket
  readonly opened: Promise<void>
  readonly closed: Promise<Closed>
  readonly #frames: Frame[] = []
  readonly #waiters: Array<(frame: Frame) => void> = []

  constructor(url: string, options: ClientOptions = {}, protocols?: string[]) {
    this.ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options)
    clients.add(this.ws)
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`unexpected response ${res.statusCode}`)),
      )
    })
    this.opened.catch(() => {})
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        clients.delete(this.ws)
        resolve({ code, reason: reason.toString() })
      })
    })
    this.ws.on('error', () => {})
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = { data, isBinary }
      const waiter = this.#waiters.shift()
      if (waiter) waiter(frame)
      else this.#frames.push(frame)
    })
  }

  /** Frames received and not yet taken by `next()`. */
  get pending(): readonly Frame[] {
    return this.#frames
  }

  next(): Promise<Frame> {
    const frame = this.#frames.shift()
    if (frame) return Promise.resolve(frame)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** The next frame, decoded in the dialect it arrived in. */
  async nextMessage(): Promise<Record<string, unknown>> {
    const frame = await this.next()
    return frame.isBinary
      ? (unpack(frame.data) as Record<string, unknown>)
      : (JSON.parse(frame.data.toString('utf8')) as Record<string, unknown>)
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message))
  }

  sendMsgpack(message: unknown): void {
    this.ws.send(pack(message), { binary: true })
  }

  send(data: Buffer | string, binary = typeof data !== 'string'): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(data, { binary }, (error) => (error ? reject(error) : resolve())),
    )
  }

  close(code?: number, reason?: string): Promise<Closed> {
    this.ws.close(code, reason)
    return this.closed
  }
}

export async function open(url: string, options?: ClientOptions, protocols?: string[]): Promise<Client> {
  const client = new Client(url, options, protocols)
  await client.opened
  return client
}

/**
 * A round trip on `client`'s socket: after the pong, the server has handled every frame the
 * client sent before the ping (frames are processed in order). Synchronization without sleeping.
 */
export async function roundTrip(client: Client): Promise<void> {
  const pong = once(client.ws, 'pong')
  client.ws.ping()
  // A socket closed meanwhile never answers: fail the test rather than hang it.
  const closed = client.closed.then(({ code }) => {
    throw new Error(`socket closed (${code}) before the round trip completed`)
  })
  await Promise.race([pong, closed])
}

/** An upgrade the server refuses: its HTTP status and JSON body. */
export async function refusedUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const ws = new WebSocket(url, { headers })
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate()
      reject(new Error(`upgrade to ${url} was accepted`))
    })
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        req.destroy()
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        })
      })
    })
  })
}

export const introductionUrl = (harness: Harness, peerId: string, token?: string): string =>
  `${harness.ws}/introduction/${peerId}${token ? `?token=${token}` : ''}`

/** The subprotocols that carry a takeover token (routes.ts). */
export const tokenProtocols = (token: string): string[] => ['theatron', `theatron-token.${token}`]

export const connectionUrl = (harness: Harness, local: string, remote: string, documentId: string): string =>
  `${harness.ws}/connection/${local}/${remote}/${documentId}`

/** A relay-dialect (msgpack) peer that has joined `documentIds`. */
export async function msgpackPeer(harness: Harness, peerId: string, documentIds: string[]): Promise<Client> {
  const client = await open(introductionUrl(harness, peerId))
  if (documentIds.length > 0) client.sendMsgpack({ type: 'Join', documentIds })
  return client
}

/** A seed-dialect (JSON) peer that has joined `documentIds`. */
export async function jsonPeer(harness: Harness, peerId: string, documentIds: string[]): Promise<Client> {
  const client = await open(introductionUrl(harness, peerId))
  if (documentIds.length > 0) client.sendJson({ type: 'Join', join: documentIds })
  return client
}

/** Text of a Prometheus sample, e.g. `sample(text, 'x_total{reason="a"}')` → 3. */
export function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

export async function metricsText(harness: Harness): Promise<string> {
  const res = await fetch(`${harness.http}/metrics`)
  return res.text()
}

/**
 * Retry `assertion` on every turn of the event loop until it passes (or fail after `timeoutMs`):
 * for server-side state that settles after the client-side event a test awaited.
 */
export async function eventually(assertion: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    try {
      assertion()
      return
    } catch (error) {
      if (performance.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
}

/**
 * Registrations (relay dialect, no token) for `peerIds`, each joined to `documentIds`: what the server
 * requires before it opens `/connection/<one>/<other>/<documentId>`. Resolves once the server has
 * handled every Join.
 */
export async function joined(
  harness: Harness,
  documentIds: string | string[],
  ...peerIds: string[]
): Promise<Client[]> {
  const documents = typeof documentIds === 'string' ? [documentIds] : documentIds
  const peers = await Promise.all(peerIds.map((peerId) => msgpackPeer(harness, peerId, documents)))
  await Promise.all(peers.map(roundTrip))
  return peers
}
