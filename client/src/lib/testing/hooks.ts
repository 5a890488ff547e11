/**
 * Test hooks, in the e2e build only (`vite build --mode e2e`; app/connect.ts): the player playback sync drives
 * can be made to starve (stall.ts), `window.__theatron.playback` exposes the controller's state and
 * `simulateStall(ms)` to the e2e tests and benchmarks, and `window.__theatron.room.sendRaw(text)` sends any
 * text to every member as a room message, as a modified page would (e2e/tests/hostile-member.spec.ts);
 * `window.__theatron.torrent.throttleUpload(bytesPerSecond)` caps this tab's upload, so a benchmark can starve
 * the members that stream from it, and `holdSeeding()` holds a dropped file's torrent back after its hashing (a
 * slow hashing, to test streaming before the torrent exists); the join path is traced with performance marks
 * (join-trace.ts), and so are the steps of every seek and hold (`theatron:sync:<step>`, sync/session.ts
 * `SyncTraceStep`) and the streaming steps of trace.ts (`theatron:trace:<step>`, with their detail).
 */
import type { Video } from '../player/video.ts'
import type { Player } from '../sync/player.ts'
import type { PlaybackInspection, SyncTraceStep } from '../sync/playback.svelte.ts'
import type { ChatSignature } from '../room/chat.ts'
import type { Signed, StatementBody } from '../room/authority.ts'
import { StallablePlayer } from './stall.ts'
import { traceJoin, type TracedApp } from './join-trace.ts'
import { setTraceSink } from '../trace.ts'
import { rangeBytesReceived } from '../torrent/range-source.ts'

/** `window.__theatron.playback`: read by e2e tests and the benchmarks. */
export interface PlaybackHooks extends PlaybackInspection {
  /** Starve this tab's player for `ms` (stall.ts); false without a player. */
  simulateStall(ms: number): boolean
}

/** `window.__theatron.room`: what a modified page could do to the room. */
export interface RoomHooks {
  /** Sends `text` as is to every member, on the room's links. */
  sendRaw(text: string): void
  /** This tab's own signature on a chat line it makes up (any time, any text), as a modified page can. */
  signChat(line: { id: string; name: string; text: string; at: number }): Promise<ChatSignature>
  /** This tab's own signature on any authority statement it makes up (room/authority.ts). */
  signStatement(body: StatementBody): Promise<Signed<StatementBody>>
}

/** `window.__theatron.torrent`: this tab's torrent client, for the benchmarks to starve a room. */
export interface TorrentHooks {
  /** Caps this tab's upload at `bytesPerSecond` (all torrents); null lifts the cap. */
  throttleUpload(bytesPerSecond: number | null): void
  /** Holds every seed after its hashing (a slow hashing) until the returned function is called. */
  holdSeeding(): () => void
  /** Bytes this page has received over the range protocol (a dropped film read from its owner). */
  rangeBytes(): number
}

type HookScope = { __theatron?: { playback?: PlaybackHooks; room?: RoomHooks; torrent?: TorrentHooks } }

/** What the composition root (app/room-app.ts) asks of its test hooks. */
export interface TestHooks {
  /** The player playback sync drives, made from the room's video. */
  player(video: Video): Player
  /** Marks each step of a seek or hold as performance mark `theatron:sync:<step>` (the seek trace). */
  syncTrace(step: SyncTraceStep): void
  /** Called once the room is built; returns what undoes it. */
  install(app: TracedApp, room: RoomHooks): () => void
}

/** `torrent`: this tab's torrent client (app/connect.ts), exposed as `window.__theatron.torrent`. */
export function testHooks(torrent?: Pick<TorrentHooks, 'throttleUpload' | 'holdSeeding'>): TestHooks {
  let player: StallablePlayer | null = null
  return {
    player: (video) => (player = new StallablePlayer(video, () => performance.now())),
    syncTrace: (step) => performance.mark(`theatron:sync:${step}`),
    install: (app, room) => {
      const stopTrace = traceJoin(app)
      const stopStreamTrace = setTraceSink((step, detail) =>
        performance.mark(`theatron:trace:${step}`, detail ? { detail } : undefined),
      )
      const exposed: PlaybackHooks = {
        ...app.playback.inspect(),
        simulateStall: (ms) => {
          if (!player) return false
          player.stall(ms)
          return true
        },
      }
      const scope = window as unknown as HookScope
      scope.__theatron ??= {}
      scope.__theatron.playback = exposed
      scope.__theatron.room = room
      const torrentHooks: TorrentHooks | undefined = torrent && {
        throttleUpload: (bytesPerSecond) => torrent.throttleUpload(bytesPerSecond),
        holdSeeding: () => torrent.holdSeeding(),
        rangeBytes: rangeBytesReceived,
      }
      if (torrentHooks) scope.__theatron.torrent = torrentHooks
      return () => {
        stopTrace()
        stopStreamTrace()
        player = null
        if (torrentHooks && scope.__theatron?.torrent === torrentHooks) delete scope.__theatron.torrent
        if (scope.__theatron?.playback === exposed) delete scope.__theatron.playback
        if (scope.__theatron?.room === room) delete scope.__theatron.room
      }
    },
  }
}
