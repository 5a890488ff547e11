import { describe, expect, it } from 'vitest'
import {
  MAX_URL_LENGTH,
  hlsFailure,
  isShareableUrl,
  looksLikeUrl,
  parseVideoUrl,
  probeFailure,
  urlFailureSentence,
  type UrlFailure,
} from '../../src/lib/media/url.ts'
import { probeUrl, type Fetch } from '../../src/lib/media/url-probe.ts'

describe('parseVideoUrl', () => {
  it('takes an http(s) link to a file or an HLS playlist, with its kind, title and host', () => {
    expect(parseVideoUrl('  https://cdn.example/films/Big%20Buck.mp4?sig=abc  ')).toEqual({
      ok: true,
      value: {
        url: 'https://cdn.example/films/Big%20Buck.mp4?sig=abc',
        kind: 'file',
        title: 'Big Buck.mp4',
        host: 'cdn.example',
      },
    })
    const hls = parseVideoUrl('http://127.0.0.1:8080/live/INDEX.M3U8')
    expect(hls.ok && hls.value).toMatchObject({ kind: 'hls', title: 'INDEX.M3U8', host: '127.0.0.1:8080' })
    const webm = parseVideoUrl('https://a.example/clip.webm')
    expect(webm.ok && webm.value.kind).toBe('file')
    const bare = parseVideoUrl('https://a.example/')
    expect(bare.ok && bare.value.title).toBe('a.example')
  })

  it.each([
    ['javascript:alert(1)', 'scheme'],
    ['data:video/mp4;base64,AAAA', 'scheme'],
    ['ftp://files.example/a.mp4', 'scheme'],
    ['file:///home/me/a.mp4', 'scheme'],
    ['https://me:pw@cdn.example/a.mp4', 'credentials'],
    ['https://me@cdn.example/a.mp4', 'credentials'],
    ['https://cdn.example/a b.mp4', 'not-url'],
    ['https://cdn.example/a\u0000.mp4', 'not-url'],
    ['http://', 'not-url'],
    ['', 'not-url'],
    [`https://cdn.example/${'x'.repeat(MAX_URL_LENGTH)}`, 'too-long'],
  ])('refuses %j (%s)', (input, error) => {
    const parsed = parseVideoUrl(input)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.error).toBe(error)
      expect(parsed.message).toMatch(/\w/)
    }
  })

  it('shares only links written as the parser writes them', () => {
    expect(isShareableUrl('https://cdn.example/a.mp4')).toBe(true)
    expect(isShareableUrl('HTTPS://cdn.example/a.mp4')).toBe(false)
    expect(isShareableUrl('https://cdn.example')).toBe(false)
  })

  it('tells a link from a magnet', () => {
    expect(looksLikeUrl(' https://a.example/a.mp4')).toBe(true)
    expect(looksLikeUrl('javascript://x')).toBe(true)
    expect(looksLikeUrl('magnet:?xt=urn:btih:abc')).toBe(false)
    expect(looksLikeUrl('a'.repeat(40))).toBe(false)
  })
})

describe('why a link fails', () => {
  const file = { host: 'cdn.example', kind: 'file' } as const
  const hls = { host: 'cdn.example', kind: 'hls' } as const

  it('says which failure it was, in a sentence', () => {
    const cases: [UrlFailure, typeof file | typeof hls, RegExp][] = [
      [
        { kind: 'cors' },
        hls,
        /cdn\.example doesn’t let other sites read this stream \(it sends no CORS headers\)/,
      ],
      [{ kind: 'cors' }, file, /no CORS headers/],
      [{ kind: 'status', status: 404 }, file, /not there \(HTTP 404\)/],
      [{ kind: 'status', status: 403 }, file, /refused the video \(HTTP 403: not allowed\)/],
      [{ kind: 'status', status: 503 }, hls, /HTTP 503: a server error/],
      [{ kind: 'codec' }, file, /format or codec isn’t supported/],
      [{ kind: 'codec' }, hls, /can’t play this stream/],
      [{ kind: 'unreachable' }, file, /cdn\.example can’t be reached/],
      [{ kind: 'unknown' }, file, /can’t explain/],
    ]
    for (const [failure, link, sentence] of cases) expect(urlFailureSentence(failure, link)).toMatch(sentence)
  })

  it('reads hls.js’s fatal errors: a status, a codec, or nothing that says', () => {
    expect(hlsFailure({ type: 'networkError', status: 404 })).toEqual({ kind: 'status', status: 404 })
    expect(hlsFailure({ type: 'networkError', status: 0 })).toBeNull()
    expect(hlsFailure({ type: 'networkError', status: undefined })).toBeNull()
    expect(hlsFailure({ type: 'mediaError', status: undefined })).toEqual({ kind: 'codec' })
    expect(hlsFailure({ type: 'muxError', status: undefined })).toEqual({ kind: 'codec' })
    expect(hlsFailure({ type: 'otherError', status: undefined })).toEqual({ kind: 'unknown' })
  })

  it('reads a probe: status, CORS, unreachable, or the codec when the server is fine', () => {
    expect(probeFailure({ kind: 'answered', status: 404 })).toEqual({ kind: 'status', status: 404 })
    expect(probeFailure({ kind: 'answered', status: 200 })).toEqual({ kind: 'codec' })
    expect(probeFailure({ kind: 'answered', status: 206 })).toEqual({ kind: 'codec' })
    expect(probeFailure({ kind: 'opaque-only' })).toEqual({ kind: 'cors' })
    expect(probeFailure({ kind: 'no-answer' })).toEqual({ kind: 'unreachable' })
  })
})

describe('probeUrl', () => {
  /** A fetch that answers by mode, as a browser would for a server with or without CORS headers. */
  function server(answers: { cors: number | 'refused'; opaque: boolean }): { fetch: Fetch; modes: string[] } {
    const modes: string[] = []
    const fetch: Fetch = (_url, init) => {
      modes.push(String(init.mode))
      expect(init.credentials).toBe('omit')
      if (init.mode === 'cors') {
        return answers.cors === 'refused'
          ? Promise.reject(new TypeError('Failed to fetch'))
          : Promise.resolve(new Response('x', { status: answers.cors }))
      }
      return answers.opaque
        ? Promise.resolve(new Response(null))
        : Promise.reject(new TypeError('Failed to fetch'))
    }
    return { fetch, modes }
  }

  it('reads the status when the server allows it', async () => {
    const { fetch, modes } = server({ cors: 404, opaque: true })
    expect(await probeUrl('https://a.example/x.mp4', fetch)).toEqual({ kind: 'answered', status: 404 })
    expect(modes).toEqual(['cors'])
  })

  it('tells a CORS refusal from no answer', async () => {
    expect(
      await probeUrl('https://a.example/x.m3u8', server({ cors: 'refused', opaque: true }).fetch),
    ).toEqual({
      kind: 'opaque-only',
    })
    expect(
      await probeUrl('https://a.example/x.m3u8', server({ cors: 'refused', opaque: false }).fetch),
    ).toEqual({
      kind: 'no-answer',
    })
  })
})
