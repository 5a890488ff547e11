/**
 * Asks a link's server why the video at it failed (media/url.ts names the failure): first as this page's own
 * request, which needs CORS to be read, then as an opaque one, which any server answers if it is there. Each
 * request is stopped as soon as its headers arrive, so next to nothing of the video is downloaded for it.
 */
import type { ProbeResult } from './url.ts'

export type Fetch = (input: string, init: RequestInit) => Promise<Response>

export async function probeUrl(
  url: string,
  fetcher: Fetch = (input, init) => fetch(input, init),
): Promise<ProbeResult> {
  const base: RequestInit = {
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'follow',
    referrerPolicy: 'no-referrer',
  }
  try {
    const response = await fetcher(url, { ...base, mode: 'cors' })
    void response.body?.cancel().catch(() => {})
    return { kind: 'answered', status: response.status }
  } catch {
    // A TypeError: refused by CORS, or no answer at all. An opaque request tells the two apart.
  }
  try {
    const response = await fetcher(url, { ...base, mode: 'no-cors' })
    void response.body?.cancel().catch(() => {})
    return { kind: 'opaque-only' }
  } catch {
    return { kind: 'no-answer' }
  }
}
