/**
 * Security headers of the served client. The Content-Security-Policy fits the built app and nothing
 * more: scripts and styles only from this origin (the build has no inline script, no inline style and no
 * eval), and WebAssembly compiled from this origin's scripts (`'wasm-unsafe-eval'`: the hashing workers'
 * SHA-1, client/src/lib/torrent/sha1.ts; it allows WebAssembly only, not `eval`); media from this origin (WebTorrent's service worker answers same-origin
 * URLs), `blob:` (Media Source Extensions, a dropped local file, subtitles) and `https:` (a link to a video
 * someone pastes; hls.js fetches an HLS stream's playlist and segments, which `connect-src` already allows),
 * plain `http:` only on loopback, as for connections; the service worker from
 * this origin; WebSockets and fetches to this origin (the signal server), plus `wss:` (WebTorrent
 * trackers) and `https:` (a signal server set elsewhere with `theatron:signal-url`), and plain `ws:`/`http:`
 * only on this machine's loopback (a signal server run locally beside the app, in development and tests). WebRTC (STUN, TURN,
 * data channels) is outside CSP. The page may not be framed, sends no Referer (the room secret lives in
 * the fragment, which browsers never send, but the path and query need not leak either), and every
 * response is taken as the type it declares.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: https: http://127.0.0.1:* http://localhost:*",
  "connect-src 'self' https: wss: http://127.0.0.1:* ws://127.0.0.1:* http://localhost:* ws://localhost:*",
  "worker-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  // For browsers that predate `frame-ancestors`.
  'X-Frame-Options': 'DENY',
}
