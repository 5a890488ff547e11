/**
 * Plain HTTP on the signal server's port: the built client (static files with SPA fallback),
 * `/healthz` and `/metrics`.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import sirv from 'sirv'
import type { Registry } from 'prom-client'
import { SECURITY_HEADERS } from './headers.ts'

export interface HttpDeps {
  clientDir: string | null
  /** `GET /turn`: TURN credentials for the client (turn.ts), and the origins that may read them. */
  turn?: { credentials: () => unknown; allowedOrigins: string[] | null }
  metrics: Registry
  health: () => Record<string, unknown>
  log: Logger
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** Hashed build assets never change; everything else is revalidated so a new deploy shows at once. */
/** The app's icons and manifest (client/public/): not content-hashed, rarely changed. */
const ICONS = /^\/(favicon\.svg|icon-\d+\.png|manifest\.webmanifest)$/

function setCacheHeaders(res: ServerResponse, pathname: string): void {
  if (pathname.startsWith('/assets/')) {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable')
  } else if (ICONS.test(pathname)) {
    // Browsers ask for the icon on every navigation, hash changes included: a day from the cache.
    res.setHeader('Cache-Control', 'public, max-age=86400')
  } else {
    res.setHeader('Cache-Control', 'no-cache')
  }
  if (pathname === '/sw.min.js') res.setHeader('Service-Worker-Allowed', '/')
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'X-Content-Type-Options': 'nosniff',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  })
  res.end(text)
}

/** TURN credentials, readable cross-origin by allowed origins (a client served apart from this server). */
function sendTurn(req: IncomingMessage, res: ServerResponse, turn: NonNullable<HttpDeps['turn']>): void {
  const origin = req.headers.origin
  if (turn.allowedOrigins === null) res.setHeader('Access-Control-Allow-Origin', '*')
  else if (origin !== undefined && turn.allowedOrigins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Vary', 'Origin')
  }
  sendJson(res, 200, turn.credentials())
}

export function createHttpHandler(deps: HttpDeps): Handler {
  const hasClient = deps.clientDir !== null && existsSync(join(deps.clientDir, 'index.html'))
  if (deps.clientDir !== null && !hasClient) {
    deps.log.warn({ clientDir: deps.clientDir }, 'client is not built; run `npm run build` to serve the app')
  }
  const serveStatic =
    hasClient && deps.clientDir !== null
      ? sirv(deps.clientDir, { single: true, etag: true, dotfiles: false, setHeaders: setCacheHeaders })
      : null

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      return sendJson(res, 405, { error: 'method-not-allowed' })
    }
    if (path === '/healthz') {
      // A load balancer acts on the status: 503 while degraded (Redis away) takes this instance out.
      const health = deps.health()
      return sendJson(res, health.status === 'degraded' ? 503 : 200, health)
    }
    if (path === '/turn' && deps.turn) return sendTurn(req, res, deps.turn)
    if (path === '/metrics') {
      deps.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' })
          res.end(text)
        },
        (error: unknown) => {
          deps.log.error({ err: error }, 'metrics collection failed')
          sendJson(res, 500, { error: 'metrics-failed' })
        },
      )
      return
    }
    if (serveStatic) {
      return serveStatic(req, res, () => sendJson(res, 404, { error: 'not-found' }))
    }
    sendJson(res, 404, { error: 'not-found', message: 'this server does not serve the client' })
  }
}
