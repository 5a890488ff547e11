import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { trustRoomWire } from '../../src/lib/torrent/tuning.ts'

/** A wire as bittorrent-protocol keeps it: unchoke() and choke() send a message only on a change. */
class FakeWire extends EventEmitter {
  downloaded = 0
  destroyed = false
  amChoking = true
  readonly sent: string[] = []
  unchoke(): void {
    if (!this.amChoking) return
    this.amChoking = false
    this.sent.push('unchoke')
  }
  choke(): void {
    if (this.amChoking) return
    this.amChoking = true
    this.sent.push('choke')
  }
}

/** WebTorrent's order: emit 'wire' (our hook runs), then a microtask sends the bitfield and chokes. */
async function connect(wire: FakeWire, ready: boolean): Promise<void> {
  trustRoomWire(wire, ready)
  queueMicrotask(() => {
    wire.sent.push('bitfield')
    wire.choke()
  })
  await new Promise((resolve) => setTimeout(resolve, 0))
}

describe('trustRoomWire', () => {
  it('unchokes after the bitfield and after WebTorrent’s own choke, so the peer stays unchoked', async () => {
    const wire = new FakeWire()
    await connect(wire, true)
    expect(wire.sent).toEqual(['bitfield', 'unchoke'])
    expect(wire.amChoking).toBe(false)
  })

  it('skips the one-block probe of a member who has every piece, before WebTorrent reacts to it', async () => {
    const wire = new FakeWire()
    let downloadedWhenWebTorrentAsks = -1
    await connect(wire, true)
    wire.on('have-all', () => (downloadedWhenWebTorrentAsks = wire.downloaded)) // WebTorrent's listener, added later
    wire.emit('have-all')
    expect(downloadedWhenWebTorrentAsks).toBe(1)
    const busy = Object.assign(new FakeWire(), { downloaded: 5000 })
    trustRoomWire(busy, true)
    busy.emit('have-all')
    expect(busy.downloaded).toBe(5000)
  })

  it('keeps the probe for a member still downloading (a bitfield, not have-all)', async () => {
    const wire = new FakeWire()
    await connect(wire, true)
    wire.emit('bitfield')
    expect(wire.downloaded).toBe(0)
  })

  it('leaves choking to WebTorrent while the torrent has no metadata (no bitfield can go first)', async () => {
    const wire = new FakeWire()
    await connect(wire, false)
    expect(wire.sent).toEqual(['bitfield'])
    expect(wire.amChoking).toBe(true)
  })

  it('does nothing to a wire destroyed in the meantime, or to one without the expected fields', async () => {
    const wire = new FakeWire()
    trustRoomWire(wire, true)
    wire.destroyed = true
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(wire.sent).toEqual([])
    const renamed: Record<string, unknown> = { downloadedBytes: 0 }
    expect(() => trustRoomWire(renamed, true)).not.toThrow()
    expect(renamed).toEqual({ downloadedBytes: 0 })
  })
})

describe('a room wire’s first requests', () => {
  /** A wire whose peer chokes us until it unchokes; `update` plays WebTorrent's `_updateWire`. */
  function wireWithUpdates(piecesToAsk: number) {
    const wire = Object.assign(new FakeWire(), { peerChoking: true, requests: [] as number[] })
    const updates: number[] = []
    const update = () => {
      updates.push(wire.requests.length)
      if (!wire.peerChoking && piecesToAsk > 0)
        wire.requests.push(...Array.from({ length: piecesToAsk }, (_, i) => i))
    }
    return { wire, updates, update }
  }
  const microtasks = () => new Promise<void>((resolve) => queueMicrotask(resolve))

  it('go out in the microtask after the member has unchoked us and said what it has, not at idle time', async () => {
    const { wire, updates, update } = wireWithUpdates(2)
    trustRoomWire(wire, true, update)
    wire.emit('have-all')
    await microtasks()
    expect(updates).toEqual([]) // still choked: nothing to ask for yet
    wire.peerChoking = false
    wire.emit('unchoke')
    expect(updates).toEqual([]) // not inside the event: after WebTorrent's own listeners
    await microtasks()
    expect(updates).toEqual([0])
    expect(wire.requests).toEqual([0, 1])
    // Once asked, refills are WebTorrent's again (its idle-paced `_update`).
    wire.emit('bitfield')
    await microtasks()
    expect(updates).toEqual([0])
  })

  it('try again on the next news while nothing could be asked, and never on a destroyed wire', async () => {
    const { wire, updates, update } = wireWithUpdates(0)
    wire.peerChoking = false
    trustRoomWire(wire, true, update)
    wire.emit('bitfield') // a member with nothing yet
    await microtasks()
    wire.emit('unchoke')
    await microtasks()
    expect(updates).toEqual([0, 0])
    const gone = wireWithUpdates(2)
    gone.wire.peerChoking = false
    trustRoomWire(gone.wire, true, gone.update)
    gone.wire.emit('have-all')
    gone.wire.destroyed = true
    await microtasks()
    expect(gone.updates).toEqual([])
  })
})
