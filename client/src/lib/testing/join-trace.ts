/**
 * The join path, traced for the benchmarks (e2e build only; testing/hooks.ts installs it): performance marks
 * `theatron:join:<step>`, once each per tab, at the first moment the tracer sees each step done. It looks
 * every `POLL_MS` (what it reads is spread over several stores with no common event), so a mark is up to
 * that late. Together with the streaming store's `theatron:stream:*` marks (add, metadata, head, stream,
 * canplay, playing) they say where a late joiner's time goes, from the page's `timeOrigin` (the navigation):
 *
 * - `app`: the room is composed (app/connect.ts marks `connect` when it starts: keys, identity, TURN);
 *   `started`: it has a name and enters (introduces itself);
 * - `signaling`: the signal server connection is up; `mesh`: a link to another tab is up (it forms while the
 *   name is still asked); `link`: a member's link carries the room (the relay or WebRTC, and the member's
 *   hello came); `webrtc`: a member's link is a WebRTC data channel;
 * - `authority`: the room's authority chain is verified; `playlist`: an item is selected;
 * - `clock`: shared time is known in another member's frame (enough clock samples to the room's host);
 *   `bytes`: the first torrent bytes came from a peer for the item shown.
 */
import type { PlaybackInspection } from '../sync/session.ts'

/** What the tracer reads of the composed room (app/room-app.ts). */
export interface TracedApp {
  playback: { inspect(): PlaybackInspection }
  room: {
    readonly started: boolean
    /** links up to other tabs, members or not yet */
    readonly linkCount: number
    readonly connection: { kind: string }
    readonly members: ReadonlyMap<string, { transport: string }>
    readonly selfId: string
    readonly authority: unknown
  }
  streaming: {
    readonly playlist: { readonly selected: unknown }
    /** `infoHash` is null for a web link, which has no torrent bytes to count. */
    readonly nowPlaying: { infoHash: string | null } | null
    readonly progress: ReadonlyMap<string, { received: number }>
  }
}

export const POLL_MS = 20
/** The tracer stops on its own after this long: a join that takes longer is not what it is for. */
export const TRACE_FOR_MS = 120_000

type Step =
  'started' | 'signaling' | 'mesh' | 'link' | 'webrtc' | 'authority' | 'playlist' | 'clock' | 'bytes'

const STEPS: Record<Step, (app: TracedApp) => boolean> = {
  started: (app) => app.room.started,
  signaling: (app) => app.room.connection.kind === 'connected',
  mesh: (app) => app.room.linkCount > 0,
  link: (app) => otherLinks(app).some((t) => t === 'relay' || t === 'webrtc'),
  webrtc: (app) => otherLinks(app).includes('webrtc'),
  authority: (app) => app.room.authority !== null,
  playlist: (app) => app.streaming.playlist.selected !== null,
  clock: (app) => {
    // Alone, a tab's shared time is its own clock: the step is the clock to another member (the host).
    const playback = app.playback.inspect()
    return playback.frame() !== app.room.selfId && playback.sharedNow() !== undefined
  },
  bytes: (app) => {
    const shown = app.streaming.nowPlaying?.infoHash
    return typeof shown === 'string' && (app.streaming.progress.get(shown)?.received ?? 0) > 0
  },
}

function otherLinks(app: TracedApp): string[] {
  return [...app.room.members].filter(([id]) => id !== app.room.selfId).map(([, m]) => m.transport)
}

/** Marks `theatron:join:app` now and each step as it is seen done; returns what stops it. */
export function traceJoin(app: TracedApp): () => void {
  performance.mark('theatron:join:app')
  const pending = new Set(Object.keys(STEPS) as Step[])
  const started = performance.now()
  const look = () => {
    for (const step of pending) {
      if (!STEPS[step](app)) continue
      pending.delete(step)
      performance.mark(`theatron:join:${step}`)
    }
    if (pending.size === 0 || performance.now() - started > TRACE_FOR_MS) stop()
  }
  const timer = setInterval(look, POLL_MS)
  const stop = () => clearInterval(timer)
  look()
  return stop
}
