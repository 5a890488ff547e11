import type { RejectReason } from './errors.ts'
import { isValidId, isValidToken } from './ids.ts'

export type Route =
  | { kind: 'introduction'; peerId: string; token: string | null }
  | { kind: 'connection'; localPeerId: string; remotePeerId: string; documentId: string }

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

/** Parse the path of a WebSocket upgrade request. Pure: no sockets, never throws. */
export function parseUpgradeUrl(rawUrl: string | undefined): RouteResult {
  let url: URL
  try {
    url = new URL(rawUrl ?? '', 'http://x')
  } catch {
    return notFound
  }
  const parts = url.pathname.split('/').slice(1)
  if (parts.at(-1) === '') parts.pop() // tolerate one trailing slash
  const [endpoint, ...params] = parts
  if (endpoint === 'introduction' && params.length === 1) {
    const peerId = decodeSafe(params[0])
    if (!isValidId(peerId)) return badId('peerId')
    const token = url.searchParams.get('token')
    if (token !== null && !isValidToken(token)) {
      return {
        ok: false,
        error: {
          status: 400,
          reason: 'bad-token',
          message: 'token must be 16-256 characters of [A-Za-z0-9._~-]',
        },
      }
    }
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
    return { ok: true, route: { kind: 'connection', localPeerId, remotePeerId, documentId } }
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
