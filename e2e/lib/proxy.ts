import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, type RawData } from 'ws'

/**
 * A reverse proxy in front of the signal server that records every WebSocket URL and payload, both ways:
 * what an operator of the server (or anyone on its path) sees. Plain HTTP requests (the room's `/turn`)
 * are passed through and their paths recorded too.
 */
export class RecordingProxy {
  readonly urls: string[] = []
  readonly payloads: string[] = []
  readonly #http: Server
  readonly #sockets = new Set<WebSocket>()

  private constructor(http: Server) {
    this.#http = http
  }

  /** Listens on 127.0.0.1, port 0, in front of `target` (ws://host:port). */
  static async start(target: string): Promise<RecordingProxy> {
    const http = createServer((req, res) => proxy.#forward(target, req, res))
    const proxy = new RecordingProxy(http)
    // The client's subprotocols (the takeover token travels in one) go upstream as they came; the proxy
    // answers with the first, `theatron`, as the signal server does.
    const wss = new WebSocketServer({
      server: http,
      handleProtocols: (protocols) => [...protocols][0] ?? false,
    })
    wss.on('connection', (client, request) => {
      const protocols = (request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')
      proxy.#pipe(target, client, request.url ?? '/', protocols)
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  /** ws://127.0.0.1:<port>, for `theatron:signal-url`. */
  get url(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}`
  }

  /** Everything recorded, as one text to search. */
  get transcript(): string {
    return [...this.urls, ...this.payloads].join('\n')
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.terminate()
    this.#http.closeAllConnections()
    await new Promise<void>((resolve) => this.#http.close(() => resolve()))
  }

  #forward(target: string, req: IncomingMessage, res: ServerResponse): void {
    this.urls.push(req.url ?? '/')
    const upstream = httpRequest(
      `${target.replace(/^ws/, 'http')}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  }

  #pipe(target: string, client: WebSocket, path: string, protocols: string[]): void {
    this.urls.push(path)
    const upstream = new WebSocket(target + path, protocols)
    this.#sockets.add(client).add(upstream)
    const held: { data: RawData; binary: boolean }[] = []
    client.on('message', (data, binary) => {
      this.#record(data)
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary })
      else held.push({ data, binary })
    })
    upstream.on('open', () => {
      for (const { data, binary } of held.splice(0)) upstream.send(data, { binary })
    })
    upstream.on('message', (data, binary) => {
      this.#record(data)
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary })
    })
    const closeBoth = (code: number) => {
      const sendable = code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000
      for (const socket of [client, upstream]) {
        if (socket.readyState === WebSocket.OPEN) socket.close(sendable)
        else if (socket.readyState === WebSocket.CONNECTING) socket.terminate()
      }
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    upstream.on('error', () => closeBoth(1000))
    client.on('error', () => closeBoth(1000))
  }

  #record(data: RawData): void {
    const buffers = Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)]
    this.payloads.push(Buffer.concat(buffers).toString('utf8'))
  }
}
