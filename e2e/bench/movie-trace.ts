/**
 * `BENCH_TRACE=1 npm run bench:movie`: where the time from a person's action to playing goes, on every page.
 * Each page's steps after the action, in ms: the app's performance marks (`theatron:stream:*`, the sync's
 * `theatron:sync:*` and the streaming trace's `theatron:trace:*`, client/src/lib/trace.ts, with their detail),
 * the `<video>`'s events with their own time stamps, each SourceBuffer append (`append` with its bytes,
 * `appended` when the buffer took it), and each data-channel message sent and received: `dc:send` and
 * `dc:message` for text (the room's messages, the range protocol's requests), with the channel's number on
 * this page (`c`) and, when sent, what the channel held queued (`buf`, its `bufferedAmount`); the binary ones
 * (`dc:send-binary`, `dc:message-binary`: the film's bytes) only in BENCH_TRACE_FILE, being too many to print.
 */
import type { Page } from '@playwright/test'

/** An init script: records the player's media events, SourceBuffer appends and data-channel messages (real clock ms). */
export const MOVIE_PROBE = `(() => {
  const seen = (window.__benchTimeline = [])
  const now = () => performance.timeOrigin + performance.now()
  for (const type of ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'play',
    'playing', 'waiting', 'seeking', 'seeked', 'pause'])
    document.addEventListener(type, (event) => {
      const video = event.target
      if (video instanceof HTMLVideoElement)
        seen.push({ name: type, at: performance.timeOrigin + event.timeStamp,
          detail: { t: Math.round(video.currentTime * 100) / 100, rs: video.readyState } })
    }, true)
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        seen.push({ name: 'longtask', at: performance.timeOrigin + e.startTime, detail: { ms: Math.round(e.duration) } })
    }).observe({ type: 'longtask', buffered: true })
  } catch {}
  const dcLabel = (c) => (c.__n ??= (window.__dcN = (window.__dcN ?? 0) + 1))
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    const text = typeof data === 'string'
    seen.push({ name: text ? 'dc:send' : 'dc:send-binary', at: now(), detail: { c: dcLabel(this),
      bytes: text ? data.length : data.byteLength, buf: this.bufferedAmount } })
    return send.call(this, data)
  }
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() { return onmessage.get.call(this) },
    set(fn) {
      const channel = this
      onmessage.set.call(this, fn && function (event) {
        const text = typeof event.data === 'string'
        seen.push({ name: text ? 'dc:message' : 'dc:message-binary', at: now(), detail: { c: dcLabel(channel),
          bytes: text ? event.data.length : event.data.byteLength ?? event.data.size } })
        return fn.call(this, event)
      })
    },
  })
  const append = window.SourceBuffer?.prototype.appendBuffer
  if (append) window.SourceBuffer.prototype.appendBuffer = function (data) {
    seen.push({ name: 'append', at: now(), detail: { bytes: data.byteLength } })
    this.addEventListener('updateend', () => seen.push({ name: 'appended', at: now() }), { once: true })
    return append.call(this, data)
  }
})()`

export interface Step {
  /** ms after the action */
  ms: number
  name: string
  detail?: Record<string, unknown>
}

/** A page's steps from `since` (real clock ms) to `until`, in order. */
export async function pageSteps(page: Page, since: number, until = Infinity): Promise<Step[]> {
  const seen = await page.evaluate(() => {
    const probe =
      (window as unknown as { __benchTimeline?: { name: string; at: number; detail?: unknown }[] })
        .__benchTimeline ?? []
    const marks = performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('theatron:'))
      .map((m) => ({
        name: m.name.replace(/^theatron:(trace:)?/, '').replace(/:[0-9a-f]{40}$/, ''),
        at: performance.timeOrigin + m.startTime,
        detail: (m as PerformanceMark).detail as unknown,
      }))
    return [...probe, ...marks]
  })
  return seen
    .filter((s) => s.at >= since - 5 && s.at <= until)
    .sort((a, b) => a.at - b.at)
    .map((s) => ({
      ms: Math.round(s.at - since),
      name: s.name,
      ...(s.detail && typeof s.detail === 'object' ? { detail: s.detail as Record<string, unknown> } : {}),
    }))
}

/** Forgets the probe's records and the streaming trace's marks (the stream and sync marks stay). */
export async function clearSteps(page: Page): Promise<void> {
  await page.evaluate(() => {
    // Emptied in place: the probe holds this very array.
    const seen = (window as unknown as { __benchTimeline?: unknown[] }).__benchTimeline
    if (seen) seen.length = 0
    for (const mark of performance.getEntriesByType('mark'))
      if (mark.name.startsWith('theatron:trace:')) performance.clearMarks(mark.name)
  })
}

/**
 * Steps as lines: runs of appends folded into one entry (count, bytes, first and last, and the longest an
 * append waited for its `updateend`: Chromium parses an append in tasks on the page's main thread, so a busy
 * page takes long). An append's `updateend` may come after later steps, even after the next run began.
 */
export function formatSteps(steps: readonly Step[], limit = 120): string {
  const out: string[] = []
  let appendAt: number | null = null
  for (let i = 0; i < steps.length && out.length < limit; i++) {
    const step = steps[i]!
    // The media's bytes on the data channels: too many to print, kept for BENCH_TRACE_FILE.
    if (step.name.endsWith('-binary')) continue
    if (step.name === 'append' || step.name === 'appended') {
      let j = i
      let bytes = 0
      let appends = 0
      let longest = 0
      while (j < steps.length && (steps[j]!.name === 'append' || steps[j]!.name === 'appended')) {
        const { name, ms, detail } = steps[j]!
        if (name === 'append') {
          appends++
          bytes += Number(detail?.['bytes'] ?? 0)
          appendAt = ms
        } else if (appendAt !== null) {
          longest = Math.max(longest, ms - appendAt)
          appendAt = null
        }
        j++
      }
      const last = steps[j - 1]!
      const runs = appends > 0 ? `${appends}×append ${Math.round(bytes / 1024)} KiB, ` : ''
      out.push(`${step.ms}–${last.ms} ${runs}updateend ≤ ${longest} ms after its append`)
      i = j - 1
      continue
    }
    const detail = step.detail
      ? ` ${Object.entries(step.detail)
          .map(
            ([k, v]) => `${k}=${typeof v === 'number' && v > 65536 ? `${Math.round(v / 1024)}K` : String(v)}`,
          )
          .join(',')}`
      : ''
    out.push(`${step.ms} ${step.name}${detail}`)
  }
  if (steps.length > 0 && out.length >= limit) out.push('…')
  return out.join(' · ')
}
