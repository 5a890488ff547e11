/**
 * Room members' torrent wires are trusted at once. WebTorrent treats every new wire as a stranger from the
 * open internet, which costs two round trips through both pages' main threads before the first useful block,
 * on pages that are at that moment busy loading a video. A room member is a peer the room introduced, so for
 * its wires (`trustRoomWire`):
 *
 * - **No probe of a member who has it all.** WebTorrent sends a new wire a single request and fills the
 *   pipeline only when that block is in; a room wire that announces every piece (`have-all`) gets its full
 *   pipeline at once (`skipFirstBlockProbe`). Members still downloading keep the probe: skipping it for them
 *   too makes a leecher queue its first blocks at another, slower leecher.
 * - **Unchoked at once.** WebTorrent unchokes a peer when it says it is interested: another round trip.
 *   A room wire is unchoked right after our bitfield (which must go first), when the torrent has metadata.
 * - **First requests at once.** WebTorrent asks a wire for blocks from `requestIdleCallback` (250 ms timeout),
 *   which on a page loading a video comes well after the member's `have-all` and unchoke. A room wire's
 *   first requests go out in the microtask after whichever of those comes last; later refills stay idle-paced.
 *
 * WebTorrent has no options for any of these; the internals they use are in torrent/internals.ts, which checks
 * that each is there, so if an update renames one, nothing breaks: streaming still starts, one or two
 * trips later. The event order the unchoke relies on is checked against the real WebTorrent in
 * client/test/torrent/internals.test.ts.
 *
 * The effect of each, and why a deeper request window and prompter refills are not used: docs/streaming.md
 * (the deeper send buffer that is: mesh/send-buffer.ts).
 */

import { skipFirstBlockProbe } from './internals.ts'

export interface RoomWire {
  downloaded?: unknown
  destroyed?: unknown
  unchoke?: unknown
  once?: unknown
  peerChoking?: unknown
  requests?: unknown
}

/**
 * Call from WebTorrent's 'wire' event: our listeners then run before the ones WebTorrent adds next.
 * `requestNow` asks the wire for blocks at once (torrent/internals.ts `requestBlocks`).
 */
export function trustRoomWire(
  wire: RoomWire,
  torrentReady: boolean,
  requestNow?: (wire: RoomWire) => void,
): void {
  if (typeof wire.once === 'function') {
    // WebTorrent's own 'have-all' listener (added after this one) asks for blocks: the probe is skipped by then.
    wire.once.call(wire, 'have-all', () => skipFirstBlockProbe(wire))
    if (requestNow) requestFirstBlocksAtOnce(wire, wire.once as EmitterOnce, requestNow)
  }
  const unchoke = wire.unchoke
  if (!torrentReady || typeof unchoke !== 'function') return
  // After the 'wire' event WebTorrent queues a microtask that sends our bitfield and then chokes a peer whose
  // bitfield it hasn't seen yet (it takes it for a seeder). Queued from inside a microtask, ours runs after.
  queueMicrotask(() =>
    queueMicrotask(() => {
      if (!wire.destroyed) unchoke.call(wire)
    }),
  )
}

type EmitterOnce = (event: string, listener: () => void) => unknown

/** After the member's pieces and unchoke are in, the wire's first requests go out in the next microtask. */
function requestFirstBlocksAtOnce(
  wire: RoomWire,
  once: EmitterOnce,
  requestNow: (wire: RoomWire) => void,
): void {
  let asked = false
  const kick = () =>
    queueMicrotask(() => {
      if (asked || wire.destroyed || wire.peerChoking !== false) return
      requestNow(wire)
      asked = Array.isArray(wire.requests) && wire.requests.length > 0
    })
  for (const event of ['have-all', 'bitfield', 'unchoke']) once.call(wire, event, kick)
}
