import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { connectionOf, trustRoomWire } from '../../src/lib/stream/torrent-tuning.ts'

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

describe('connectionOf', () => {
  it('finds the connection a wire runs on in the peer table', () => {
    const [wireA, wireB, connA, connB] = [{}, {}, {}, {}]
    const peers = new Map([
      ['room-1', { conn: connA, wire: wireA }],
      ['room-2', { conn: connB, wire: wireB }],
      ['pending', { conn: {} }],
    ])
    expect(connectionOf(peers, wireB)).toBe(connB)
    expect(connectionOf(peers, {})).toBeUndefined()
    expect(connectionOf(undefined, wireA)).toBeUndefined()
  })
})
