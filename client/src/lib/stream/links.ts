/**
 * Playing a playlist item that is a web link (media/url.ts): the element loads a video file itself; an HLS
 * stream plays natively where the browser can, else through hls.js (media/hls.ts). When it fails, the
 * sentence says why: hls.js's own account when it has one, else what the link's server answers a probe
 * (media/url-probe.ts). Playback sync drives the element as it drives a torrent's: nothing here plays,
 * pauses or seeks.
 */
import { hlsSource } from '../media/hls.ts'
import { probeUrl } from '../media/url-probe.ts'
import {
  hlsFailure,
  probeFailure,
  urlFailureSentence,
  type HlsFatal,
  type ProbeResult,
  type VideoUrl,
} from '../media/url.ts'
import type { Video } from '../player/video.ts'

/** HLS's MIME type: a browser that answers anything but '' to it plays `.m3u8` itself (Safari). */
export const HLS_TYPE = 'application/vnd.apple.mpegurl'

export interface LinkDeps {
  probe?: (url: string) => Promise<ProbeResult>
  hls?: typeof hlsSource
}

/**
 * Attaches the link's video to `video`, unless `current()` turned false meanwhile. `onFailure` hears the failure's sentence when hls.js gives up; the
 * element's own failures come through `explainLinkFailure`. False when the link can't even be attached (the
 * sentence came already).
 */
export async function attachLink(
  link: VideoUrl,
  video: Video,
  current: () => boolean,
  onFailure: (sentence: string) => void,
  deps: LinkDeps = {},
): Promise<boolean> {
  if (link.kind === 'file' || video.canPlayType(HLS_TYPE) !== '') {
    video.attachSource({ url: link.url, kind: 'url' })
    return true
  }
  const source = await (deps.hls ?? hlsSource)(link.url, (fatal) => {
    void explainHlsFailure(link, fatal, deps).then(onFailure)
  })
  if (!source) {
    onFailure(urlFailureSentence({ kind: 'codec' }, link))
    return false
  }
  // Another item was shown while hls.js loaded: this source is not wanted any more.
  if (!current()) {
    source.release?.()
    return false
  }
  video.attachSource(source)
  return true
}

/** The sentence for the element's failure on a link: the server is asked what went wrong. */
export async function explainLinkFailure(link: VideoUrl, deps: LinkDeps = {}): Promise<string> {
  return urlFailureSentence(probeFailure(await (deps.probe ?? probeUrl)(link.url)), link)
}

async function explainHlsFailure(link: VideoUrl, fatal: HlsFatal, deps: LinkDeps): Promise<string> {
  const known = hlsFailure(fatal)
  return known ? urlFailureSentence(known, link) : explainLinkFailure(link, deps)
}
