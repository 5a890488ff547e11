/**
 * The signal server: one HTTP server, two WebSocket endpoints (introduction, connection), the
 * static client, health and metrics. `createSignalServer(options)` is the programmatic API.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { resolveOptions, type SignalServerInput, type SignalServerOptions } from './config.ts'
import { attach, Conn, connOf, type Endpoint } from './conn.ts'
import type { Cluster, Presence } from './cluster/bus.ts'
import { parseAddress } from './cluster/direct-wire.ts'
import { CloseCode, type RejectReason } from './errors.ts'
import { createHttpHandler } from './http.ts'
import { IntroductionService } from './introduction.ts'
import { AddressCounter, addressKey, clientAddress } from './limits.ts'
import { createLogger } from './log.ts'
import { createMetrics, type ServerMetrics } from './metrics.ts'
import { PipeService } from './pipes.ts'
import { parseUpgradeUrl, selectProtocol, type Route } from './routes.ts'
import { turnCredentials } from './turn.ts'

export type { SignalServerOptions, SignalServerInput }

export interface SignalServer {
  /** Start listening; resolves with the real port (useful with port 0). */
  listen(): Promise<{ port: number; host: string }>
  /** Stop accepting, close every socket with 1001, close the HTTP listener. */
  close(): Promise<void>
  /** Live counts, for health checks and leak tests. */
  stats(): SignalStats
  readonly options: SignalServerOptions
  /** "Is peer X live and joined to document D?", across the cluster when there is one. */
  readonly presence: Presence
}

export interface SignalStats {
  connections: { introduction: number; connection: number }
  peers: number
  documents: number
  pipesOpen: number
  pipesWaiting: number
  heldFrames: number
  heldBytes: number
  bytesPiped: number
  probes: number
  addresses: number
  /** Open pipes whose other side is on another instance (0 without a cluster). */
  crossPipes: number
  /** Bytes sent to other instances' pipes and not yet acknowledged. */
  clusterInflight: number
  /** Direct connections up to other instances, for pipe traffic (0 without one). */
  directLinks: number
}

/** How long close() waits for close handshakes before terminating sockets. */
const CLOSE_GRACE_MS = 2_000

export function createSignalServer(input: SignalServerInput = {}): SignalServer {
  const options = resolveOptions(input)
  const log: Logger = options.logger ?? createLogger(options.logLevel)
  const conns = new Set<Conn>()
  const counts: Record<Endpoint, number> = { introduction: 0, connection: 0 }
  const addresses = new AddressCounter(options.maxConnectionsPerIp, options.maxConnections)
  const startedAt = Date.now()
  let closing = false

  // The services report to the metrics that read from them; `metrics` is bound below, before any socket.
  const events = {
    reject: (reason: RejectReason) => metrics.reject(reason),
    introduction: () => metrics.introduction(),
  }
  const introductions = new IntroductionService(options, log, events)
  const pipes = new PipeService(options.held, options.pipeHighWaterMark, log, events)

  // Other instances through Redis, only with `redisUrl`: the single process never loads that code.
  let cluster: Cluster | null = null

  const stats = (): SignalStats => ({
    connections: { ...counts },
    peers: introductions.peerCount,
    documents: introductions.registry.documentCount,
    pipesOpen: pipes.openCount,
    pipesWaiting: pipes.waitingCount,
    heldFrames: pipes.heldFrames,
    heldBytes: pipes.heldBytes,
    bytesPiped: pipes.bytesPiped,
    probes: introductions.probeCount,
    addresses: addresses.size,
    crossPipes: cluster?.metrics.crossPipes() ?? 0,
    clusterInflight: cluster?.metrics.inflight() ?? 0,
    directLinks: cluster?.metrics.directLinks().out ?? 0,
  })

  const metrics: ServerMetrics = createMetrics(
    {
      connections: (endpoint) => counts[endpoint],
      peers: () => introductions.peerCount,
      documents: () => introductions.registry.documentCount,
      pipesOpen: () => pipes.openCount,
      pipesWaiting: () => pipes.waitingCount,
      heldFrames: () => pipes.heldFrames,
      heldBytes: () => pipes.heldBytes,
      bytesPiped: () => pipes.bytesPiped,
    },
    options.processMetrics,
  )

  const handler = createHttpHandler({
    clientDir: options.clientDir,
    metrics: metrics.registry,
    log,
    turn: {
      credentials: () => turnCredentials(options.turn, Date.now()),
      allowedOrigins: options.allowedOrigins,
    },
    health: () => ({
      status: closing ? 'closing' : cluster !== null && !cluster.healthy ? 'degraded' : 'ok',
      ...(cluster !== null && { instance: cluster.instanceId, redis: cluster.healthy ? 'up' : 'down' }),
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      ...stats(),
    }),
  })
  // Slow or stalled requests (upgrades included) are cut off by Node: headers must arrive within
  // headersTimeoutMs, a whole request within requestTimeoutMs; the expiry check runs often enough for both.
  const timeouts = {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: Math.max(options.requestTimeoutMs, options.headersTimeoutMs),
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(options.headersTimeoutMs / 4))),
  }
  // HTTPS when given a certificate (a LAN without a TLS proxy: service workers need a secure context).
  const http: HttpServer | HttpsServer = options.tls
    ? createHttpsServer({ ...options.tls, ...timeouts }, handler)
    : createServer(timeouts, handler)
  // Servers of both endpoints share the HTTP listener; client tracking is ours (Conn set).
  const introductionWss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.introductionMaxPayload,
    handleProtocols: selectProtocol,
  })
  const pipeWss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.pipeMaxPayload,
    handleProtocols: selectProtocol,
  })

  http.on('upgrade', onUpgrade)
  http.on('clientError', (_error, socket) => socket.destroy())

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroySocket)
    if (closing) return refuse(socket, 503, 'shutting-down', 'server is shutting down')
    const origin = req.headers.origin
    if (
      options.allowedOrigins !== null &&
      (origin === undefined || !options.allowedOrigins.includes(origin))
    ) {
      return refuse(socket, 403, 'origin', 'origin not allowed')
    }
    const routed = parseUpgradeUrl(req.url, req.headers['sec-websocket-protocol'])
    if (!routed.ok) return refuse(socket, routed.error.status, routed.error.reason, routed.error.message)
    const forwardedFor = req.headers['x-forwarded-for']
    const address = addressKey(
      clientAddress(
        req.socket.remoteAddress ?? 'unknown',
        Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
        options.trustedProxies,
      ),
    )
    switch (addresses.acquire(address)) {
      case 'ok':
        break
      case 'address':
        return refuse(socket, 429, 'ip-limit', 'too many connections from this address')
      case 'total':
        return refuse(socket, 503, 'capacity', 'the server is at its connection limit')
    }
    // A handshake that fails never reaches onConnection; its address slot is freed with the socket.
    const releaseFailed = () => addresses.release(address)
    socket.once('close', releaseFailed)
    const route = routed.route
    const wss = route.kind === 'introduction' ? introductionWss : pipeWss
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', releaseFailed)
      onConnection(ws, route, address)
    })
  }

  function refuse(socket: Duplex, status: number, reason: RejectReason, message: string): void {
    metrics.reject(reason)
    log.debug({ status, reason }, 'upgrade refused')
    const body = JSON.stringify({ error: reason, message })
    socket.end(
      `HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }

  function onConnection(ws: WebSocket, route: Route, address: string): void {
    const endpoint: Endpoint = route.kind
    const conn = new Conn(
      ws,
      endpoint,
      address,
      endpoint === 'introduction' ? options.introductionRate : options.pipeRate,
    )
    attach(ws, conn)
    conns.add(conn)
    counts[endpoint]++
    // Shared listeners (one function per server, not per socket); they find the Conn through `ws`.
    ws.on('pong', onPong)
    ws.on('error', onError)
    ws.on('close', onClose)
    ws.on('message', onMessage)
    if (closing) return conn.close(CloseCode.GoingAway, 'server is shutting down')
    switch (route.kind) {
      case 'introduction':
        return introductions.accept(conn, route.peerId, route.token)
      case 'connection': {
        const { localPeerId, remotePeerId, documentId, token } = route
        // Frames wait in the socket while the check runs (a round trip to Redis when clustered).
        ws.pause()
        introductions.pipeRefusal(localPeerId, remotePeerId, documentId, token).then(
          (refusal) => {
            if (!conn.open) return
            ws.resume()
            if (refusal === null) return pipes.accept(conn, localPeerId, remotePeerId, documentId)
            // Refused after the upgrade, with a close code: relay 4's client has no error handler on
            // pipe sockets, and an HTTP refusal would be an uncaught error there.
            metrics.reject('pipe-forbidden')
            log.debug({ reason: refusal }, 'pipe refused')
            conn.close(CloseCode.Forbidden, refusal)
          },
          (error: unknown) => {
            log.warn({ err: error }, 'pipe check failed')
            ws.resume()
            conn.close(CloseCode.InternalError, 'pipe check failed')
          },
        )
        return
      }
      default:
        return route satisfies never
    }
  }

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const conn = connOf(this)
    conn.alive = true
    // With the default binaryType ('nodebuffer') a message is always one Buffer.
    if (conn.endpoint === 'introduction') introductions.message(conn, data as Buffer, isBinary)
    else pipes.message(conn, data as Buffer, isBinary)
  }

  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    const conn = connOf(this)
    conns.delete(conn)
    counts[conn.endpoint]--
    addresses.release(conn.address)
    if (conn.endpoint === 'introduction') introductions.closed(conn)
    else pipes.closed(conn, code, reason)
  }

  function onPong(this: WebSocket): void {
    connOf(this).pong()
  }

  function onError(this: WebSocket, error: Error): void {
    log.debug({ err: error, endpoint: connOf(this).endpoint }, 'socket error')
  }

  // One timer for every socket: a socket that missed the previous pong is dead.
  const heartbeat = setInterval(() => {
    for (const conn of conns) {
      if (!conn.alive) {
        log.debug({ endpoint: conn.endpoint }, 'terminating a socket that missed a heartbeat')
        conn.ws.terminate()
        continue
      }
      conn.alive = false
      conn.ws.ping()
    }
  }, options.heartbeatIntervalMs)
  heartbeat.unref()

  let listening: Promise<{ port: number; host: string }> | null = null
  let closed: Promise<void> | null = null

  async function startCluster(url: string): Promise<void> {
    const { RedisCluster } = await import('./cluster/redis.ts')
    const { secret, listen, advertise, ...limits } = options.cluster
    const bound = secret === null ? null : parseAddress(listen)
    if (secret !== null && bound === null)
      throw new Error(`cluster listen address is not host:port: ${listen}`)
    const direct =
      secret === null || bound === null
        ? null
        : { secret, ...bound, advertise, maxPayload: options.pipeMaxPayload }
    const started = new RedisCluster({ url, ...limits, holdMs: options.held.ageMs, direct }, log)
    started.bind(introductions, pipes)
    introductions.useCluster(started)
    pipes.useCluster(started)
    metrics.cluster(started)
    cluster = started
    await started.start()
  }

  return {
    options,
    stats,
    presence: introductions,
    listen() {
      listening ??= (options.redisUrl === null ? Promise.resolve() : startCluster(options.redisUrl)).then(
        () =>
          new Promise((resolve, reject) => {
            http.once('error', reject)
            http.listen(options.port, options.host, () => {
              http.off('error', reject)
              const address = http.address()
              const port = typeof address === 'object' && address !== null ? address.port : options.port
              log.info({ host: options.host, port }, 'listening')
              resolve({ port, host: options.host })
            })
          }),
      )
      return listening
    },
    close() {
      closed ??= (async () => {
        closing = true
        clearInterval(heartbeat)
        const httpClosed = new Promise<void>((resolve) => {
          if (!http.listening) return resolve()
          http.close(() => resolve())
        })
        const sockets = [...conns].map(
          (conn) =>
            new Promise<void>((resolve) => {
              if (conn.ws.readyState === conn.ws.CLOSED) return resolve()
              conn.ws.once('close', () => resolve())
              conn.close(CloseCode.GoingAway, 'server is shutting down')
              setTimeout(() => conn.ws.terminate(), CLOSE_GRACE_MS).unref()
            }),
        )
        await Promise.all(sockets)
        http.closeAllConnections()
        await httpClosed
        await cluster?.close()
        log.info('closed')
      })()
      return closed
    },
  }
}

function destroySocket(this: Duplex): void {
  this.destroy()
}

function statusText(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request'
    case 403:
      return 'Forbidden'
    case 404:
      return 'Not Found'
    case 429:
      return 'Too Many Requests'
    case 503:
      return 'Service Unavailable'
    default:
      return 'Error'
  }
}
