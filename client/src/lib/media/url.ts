/**
 * A web link to a video, the pure part: what a pasted `http(s)` URL may be (and what a member's playlist item
 * may carry: the same rule on both sides), which kind of media it is, and the sentence a person reads when it
 * does not play. Nothing here fetches; media/url-probe.ts asks the server why a link failed.
 */

/** Long enough for any signed CDN link; a bound on what a member can make every peer hold and show. */
export const MAX_URL_LENGTH = 2048

/** `hls`: an HTTP Live Streaming playlist (`.m3u8`); `file`: a video file the element plays as it is. */
export type UrlKind = 'hls' | 'file'

export interface VideoUrl {
  /** The URL as the `URL` parser writes it (what the room shares). */
  url: string
  kind: UrlKind
  /** The file's name from the path, else the host: the playlist's title. */
  title: string
  host: string
}

export type VideoUrlError = 'not-url' | 'too-long' | 'scheme' | 'credentials'

export type VideoUrlResult =
  { ok: true; value: VideoUrl } | { ok: false; error: VideoUrlError; message: string }

const MESSAGES: Record<VideoUrlError, string> = {
  'not-url': 'That doesn’t look like a web link.',
  'too-long': 'That link is too long.',
  scheme: 'Only http and https links to a video can be played.',
  credentials: 'Links with a user name or password in them can’t be shared with the room.',
}

/** Whether pasted text is meant as a web link (and so is not a magnet). */
export function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())
}

/**
 * Checks a link a person pasted or a member sent: `http:` or `https:` only (never `javascript:`, `data:`,
 * `blob:`, `file:`), no user name or password (they would travel to every member), no white space or
 * control characters, at most `MAX_URL_LENGTH` characters before and after the parser writes it.
 */
export function parseVideoUrl(input: string): VideoUrlResult {
  const text = input.trim()
  if (text.length > MAX_URL_LENGTH) return failure('too-long')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (text === '' || /[\s\u0000-\u001f\u007f]/.test(text)) return failure('not-url')
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return failure('not-url')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return failure('scheme')
  if (parsed.username !== '' || parsed.password !== '') return failure('credentials')
  if (parsed.hostname === '') return failure('not-url')
  const url = parsed.href
  if (url.length > MAX_URL_LENGTH) return failure('too-long')
  return { ok: true, value: { url, kind: urlKind(parsed), title: titleOf(parsed), host: parsed.host } }
}

/** Whether a member's item carries a link this side would accept, written as the parser writes it. */
export function isShareableUrl(url: string): boolean {
  const parsed = parseVideoUrl(url)
  return parsed.ok && parsed.value.url === url
}

/** A path ending in `.m3u8` is HLS; anything else is taken as a file the element plays itself. */
export function urlKind(url: URL): UrlKind {
  return /\.m3u8$/i.test(url.pathname) ? 'hls' : 'file'
}

function titleOf(url: URL): string {
  const last = url.pathname
    .split('/')
    .filter((part) => part !== '')
    .at(-1)
  if (!last) return url.host
  try {
    return decodeURIComponent(last).slice(0, 200)
  } catch {
    return last.slice(0, 200)
  }
}

function failure(error: VideoUrlError): VideoUrlResult {
  return { ok: false, error, message: MESSAGES[error] }
}

// ── why a link does not play ──────────────────────────────────────────────────────────────────────────

/**
 * Why a link failed, as far as this page can tell:
 * - `cors`: the server answers, but not to other sites' pages (no `Access-Control-Allow-Origin`);
 * - `unreachable`: nothing answers (offline, a wrong host, a blocked port);
 * - `status`: the server answered with an HTTP error;
 * - `codec`: the bytes arrived, the browser can't decode them;
 * - `unknown`: it failed and the server looks fine.
 */
export type UrlFailure =
  | { kind: 'cors' }
  | { kind: 'unreachable' }
  | { kind: 'status'; status: number }
  | { kind: 'codec' }
  | { kind: 'unknown' }

/** The sentence for a link that failed: it says which of the failures it was, in words. */
export function urlFailureSentence(failure: UrlFailure, link: Pick<VideoUrl, 'host' | 'kind'>): string {
  const { host } = link
  switch (failure.kind) {
    case 'cors':
      return link.kind === 'hls'
        ? `The server at ${host} doesn’t let other sites read this stream (it sends no CORS headers), so it can’t play here.`
        : `The video at ${host} didn’t load, and its server doesn’t let other sites see why (it sends no CORS headers).`
    case 'unreachable':
      return `The server at ${host} can’t be reached.`
    case 'status':
      return failure.status === 404 || failure.status === 410
        ? `There is no video at this link: the server at ${host} says it is not there (HTTP ${failure.status}).`
        : `The server at ${host} refused the video (HTTP ${failure.status}${statusWords(failure.status)}).`
    case 'codec':
      return link.kind === 'hls'
        ? 'This browser can’t play this stream: its format or codec isn’t supported.'
        : 'This browser can’t play the video at this link: its format or codec isn’t supported.'
    case 'unknown':
      return `The video at ${host} stopped with an error this page can’t explain.`
    default:
      return failure satisfies never
  }
}

function statusWords(status: number): string {
  if (status === 401 || status === 403) return ': not allowed'
  if (status >= 500) return ': a server error'
  return ''
}

/** hls.js's own account of a fatal error: its type, and the HTTP status of a failed load (0: no answer read). */
export interface HlsFatal {
  type: 'networkError' | 'mediaError' | 'muxError' | 'keySystemError' | 'otherError' | string
  status: number | undefined
}

/**
 * What an hls.js fatal error says, when it says enough: an HTTP status, or a media (codec) error. A network
 * error with no status is a CORS refusal or no answer at all: null, and the server is asked (url-probe.ts).
 */
export function hlsFailure(fatal: HlsFatal): UrlFailure | null {
  if (fatal.type === 'networkError') {
    return fatal.status !== undefined && fatal.status >= 400 ? { kind: 'status', status: fatal.status } : null
  }
  if (fatal.type === 'mediaError' || fatal.type === 'muxError') return { kind: 'codec' }
  return { kind: 'unknown' }
}

/** How a probe of the link went (url-probe.ts): the answer to a CORS request, or to an opaque one. */
export type ProbeResult =
  { kind: 'answered'; status: number } | { kind: 'opaque-only' } | { kind: 'no-answer' }

/**
 * What the element's failure was, from the probe: an error status says it; a server that answers only
 * opaque requests refuses CORS; no answer is unreachable; a good answer leaves the codec.
 */
export function probeFailure(probe: ProbeResult): UrlFailure {
  switch (probe.kind) {
    case 'answered':
      return probe.status >= 400 ? { kind: 'status', status: probe.status } : { kind: 'codec' }
    case 'opaque-only':
      return { kind: 'cors' }
    case 'no-answer':
      return { kind: 'unreachable' }
    default:
      return probe satisfies never
  }
}
