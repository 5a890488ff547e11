/**
 * Which tab answers a stream request.
 *
 * WebTorrent's service worker does not ask the tab whose `<video>` made a request: it sends the request to
 * every window of the site and streams whichever answer comes first. A second Theatron tab (another room, or a
 * room the person left open) that does not have the torrent answers at once with WebTorrent's 404 page,
 * and the player then says the file's format is not supported.
 *
 * So each TorrentClient tags the URLs it gives its media element with its own id (`?tab=…`; WebTorrent's
 * server ignores the query), and a filter registered before WebTorrent's listener drops, in every tab,
 * requests tagged with an id that no client of this page owns. Untagged requests are left to WebTorrent.
 */

const TAB_PARAM = 'tab'

/** The stream URL with this client's tag. */
export function tagStreamUrl(url: string, tab: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${TAB_PARAM}=${encodeURIComponent(tab)}`
}

/** Whether a request (its full URL) belongs to another page: tagged, with a tag none of `ours` has. */
export function belongsElsewhere(url: string, ours: ReadonlySet<string>): boolean {
  let tab: string | null
  try {
    tab = new URL(url).searchParams.get(TAB_PARAM)
  } catch {
    return false
  }
  return tab !== null && !ours.has(tab)
}

/** The live clients' tags in this page, and the containers the filter is installed on (once each). */
const ours = new Set<string>()
const filtered = new WeakSet<EventTarget>()

/**
 * Registers `tab` as one of this page's clients and, the first time, installs the filter on `container`
 * (navigator.serviceWorker). Call before WebTorrent's `createServer`, so the filter runs first. Returns the
 * function that unregisters the tag.
 */
export function claimStreamRequests(container: EventTarget, tab: string): () => void {
  ours.add(tab)
  if (!filtered.has(container)) {
    filtered.add(container)
    container.addEventListener('message', (event) => {
      const data = (event as MessageEvent).data as { type?: unknown; url?: unknown } | null
      if (data?.type === 'webtorrent' && typeof data.url === 'string' && belongsElsewhere(data.url, ours)) {
        event.stopImmediatePropagation()
      }
    })
  }
  return () => {
    ours.delete(tab)
  }
}
