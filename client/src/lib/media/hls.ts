/**
 * An HLS stream played through hls.js, for browsers with no HLS of their own (Chromium, Firefox): hls.js reads
 * the playlist, fetches the segments and feeds them to the element through Media Source Extensions. It is
 * loaded only when a stream is played, so a room that never plays one never downloads it.
 *
 * hls.js runs on the page, not in a worker: its worker is made from a `blob:` script, which the app's
 * Content-Security-Policy (`worker-src 'self'`) refuses.
 */
import type { AttachedSource } from './target.ts'
import type { HlsFatal } from './url.ts'

/**
 * A source for the HLS stream at `url`, or null where the browser has no Media Source Extensions. `onFatal`
 * hears an error hls.js cannot recover from (it stops then), once.
 */
export async function hlsSource(
  url: string,
  onFatal: (fatal: HlsFatal) => void,
): Promise<AttachedSource | null> {
  const { default: Hls } = await import('hls.js')
  if (!Hls.isSupported()) return null
  const hls = new Hls({ enableWorker: false })
  let failed = false
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal || failed) return
    failed = true
    onFatal({ type: data.type, status: data.response?.code })
  })
  return {
    url,
    kind: 'hls',
    mount(element) {
      hls.attachMedia(element)
      hls.loadSource(url)
    },
    release() {
      hls.destroy()
    },
  }
}
