import { describe, expect, it } from 'vitest'
import { belongsElsewhere, claimStreamRequests, tagStreamUrl } from '../../src/lib/torrent/stream-requests.ts'

const BASE = 'http://127.0.0.1:8080/webtorrent/aa/clip.webm'

describe('tagStreamUrl / belongsElsewhere', () => {
  it('tags a URL so that only the tab with the tag claims it', () => {
    const url = tagStreamUrl('/webtorrent/aa/clip.webm', 'T1')
    expect(url).toBe('/webtorrent/aa/clip.webm?tab=T1')
    const full = `http://127.0.0.1:8080${url}`
    expect(belongsElsewhere(full, new Set(['T1']))).toBe(false)
    expect(belongsElsewhere(full, new Set(['T2']))).toBe(true)
    expect(belongsElsewhere(full, new Set())).toBe(true)
  })

  it('leaves untagged and unreadable URLs to WebTorrent', () => {
    expect(belongsElsewhere(BASE, new Set())).toBe(false)
    expect(belongsElsewhere('not a url', new Set())).toBe(false)
  })

  it('keeps a query the URL already has', () => {
    expect(tagStreamUrl('/x?a=1', 'T 1')).toBe('/x?a=1&tab=T%201')
    expect(belongsElsewhere(`http://h${tagStreamUrl('/x?a=1', 'T 1')}`, new Set(['T 1']))).toBe(false)
  })
})

describe('claimStreamRequests', () => {
  /** A stream request as WebTorrent's worker posts it to a window; returns whether WebTorrent's listener heard it. */
  function deliver(container: EventTarget, url: string, type = 'webtorrent'): boolean {
    let heard = false
    const webtorrent = () => (heard = true)
    container.addEventListener('message', webtorrent)
    container.dispatchEvent(new MessageEvent('message', { data: { type, url } }))
    container.removeEventListener('message', webtorrent)
    return heard
  }

  it("stops other tabs' requests before WebTorrent's listener, and lets ours and untagged ones through", () => {
    const container = new EventTarget()
    const release = claimStreamRequests(container, 'mine')
    const second = claimStreamRequests(container, 'also-mine') // a second client in the page: one filter
    expect(deliver(container, `${BASE}?tab=mine`)).toBe(true)
    expect(deliver(container, `${BASE}?tab=also-mine`)).toBe(true)
    expect(deliver(container, `${BASE}?tab=theirs`)).toBe(false)
    expect(deliver(container, BASE)).toBe(true)
    expect(deliver(container, `${BASE}?tab=theirs`, 'other')).toBe(true)
    release()
    expect(deliver(container, `${BASE}?tab=mine`)).toBe(false)
    second()
  })
})
