import type { RejectReason } from './errors.ts'
import { isValidId, isValidToken } from './ids.ts'

export type Route =
  | { kind: 'introduction'; peerId: string; token: string | null }
  | {
      kind: 'connection'
      localPeerId: string
      remotePeerId: string
      documentId: string
      token: string | null
    }

/**
 * The takeover token travels in the WebSocket subprotocol list, not in the URL, which proxies and
 * access logs record: a client offers `[TOKEN_PROTOCOL, TOKEN_PREFIX + token]` and the server selects
 * `TOKEN_PROTOCOL` (never echoing the token). `?token=` in the URL is still read, for older clients.
 */
export const TOKEN_PROTOCOL = 'theatron'
export const TOKEN_PREFIX = 'theatron-token.'

/** The subprotocol the server answers with: the marker when offered, otherwise none. */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  return offered.has(TOKEN_PROTOCOL) ? TOKEN_PROTOCOL : false
}

export interface RouteError {
  status: 400 | 404
  reason: RejectReason
  message: string
}

export type RouteResult = { ok: true; route: Route } | { ok: false; error: RouteError }

const notFound: RouteResult = {
  ok: false,
  error: { status: 404, reason: 'not-found', message: 'unknown endpoint' },
}

function badId(which: string): RouteResult {
  return {
    ok: false,
    error: { status: 400, reason: 'bad-id', message: `${which} must be 1-128 characters of [A-Za-z0-9._~-]` },
  }
}

const badToken: RouteResult = {
  ok: false,
  error: { status: 400, reason: 'bad-token', message: 'token must be 16-256 characters of [A-Za-z0-9._~-]' },
}

/** The token offered in a `Sec-WebSocket-Protocol` header: null when none, undefined when malformed. */
function protocolToken(header: string | undefined): string | null | undefined {
  if (header === undefined) return null
  const offered = header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol.startsWith(TOKEN_PREFIX))
  if (offered.length === 0) return null
  const token = offered.length === 1 ? offered[0]?.slice(TOKEN_PREFIX.length) : undefined
  return isValidToken(token) ? token : undefined
}

/**
 * Parse a WebSocket upgrade request: its path, and the token from its subprotocols (or, for older
 * clients, `?token=`). Pure: no sockets, never throws.
 */
export function parseUpgradeUrl(rawUrl: string | undefined, protocols?: string): RouteResult {
  let url: URL
  try {
    url = new URL(rawUrl ?? '', 'http://x')
  } catch {
    return notFound
  }
  const parts = url.pathname.split('/').slice(1)
  if (parts.at(-1) === '') parts.pop() // tolerate one trailing slash
  const [endpoint, ...params] = parts
  const offered = protocolToken(protocols)
  if (offered === undefined) return badToken
  const query = url.searchParams.get('token')
  if (query !== null && !isValidToken(query)) return badToken
  const token = offered ?? query
  if (endpoint === 'introduction' && params.length === 1) {
    const peerId = decodeSafe(params[0])
    if (!isValidId(peerId)) return badId('peerId')
    return { ok: true, route: { kind: 'introduction', peerId, token } }
  }
  if (endpoint === 'connection' && params.length === 3) {
    const [localPeerId, remotePeerId, documentId] = params.map(decodeSafe)
    if (!isValidId(localPeerId)) return badId('localPeerId')
    if (!isValidId(remotePeerId)) return badId('remotePeerId')
    if (!isValidId(documentId)) return badId('documentId')
    if (localPeerId === remotePeerId) {
      return {
        ok: false,
        error: { status: 400, reason: 'same-peer', message: 'a peer cannot connect to itself' },
      }
    }
    return { ok: true, route: { kind: 'connection', localPeerId, remotePeerId, documentId, token } }
  }
  return notFound
}

function decodeSafe(part: string | undefined): string | undefined {
  if (part === undefined) return undefined
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}
