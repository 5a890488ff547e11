/**
 * A member running a modified page: what it sends is bounded on arrival (times, names, feature names, rate),
 * and nothing it sends breaks the other members' rooms or a newcomer's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Room } from '../../src/lib/room/room.svelte.ts'
import { encodeRoomMessage, type OutgoingRoomMessage } from '../../src/lib/room/protocol.ts'
import { DEFAULT_RATE_LIMITS, PENALTY_MS } from '../../src/lib/room/rate-limit.ts'
import { chatTime } from '../../src/lib/room/chat-time.ts'
import { connectedSignaling, FakeNet, settle } from '../mesh/fakes.ts'
import { expectWarning } from '../console.ts'

const NOW = 1_700_000_000_000

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(NOW)
})
afterEach(() => vi.useRealTimers())

function join(net: FakeNet, id: string, name: string, creator = false): Room {
  vi.advanceTimersByTime(10)
  const room = new Room({
    selfId: id,
    documentId: 'doc',
    membership: { creator, joinedAt: Date.now() },
    fresh: true,
    name,
    transport: net.add(id),
    signaling: connectedSignaling,
  })
  room.start()
  return room
}

async function link(net: FakeNet, ...pairs: [string, string][]): Promise<void> {
  for (const [a, b] of pairs) net.link(a, b)
  await settle()
}

/** Everything `from` sends is written by hand, as a modified page would. */
function raw(net: FakeNet, from: string, message: OutgoingRoomMessage | string): void {
  net.transports.get(from)!.broadcast(typeof message === 'string' ? message : encodeRoomMessage(message))
}

const chatLines = (room: Room) =>
  room.chat.flatMap((entry) => (entry.kind === 'chat' ? [{ text: entry.text, at: entry.at }] : []))

describe('a hostile member', () => {
  it('dates a chat line 1e16: everyone keeps the arrival time, and a newcomer gets a history it can show', async () => {
    const net = new FakeNet()
    const ana = join(net, 'a', 'Ana', true)
    join(net, 'm', 'Mallory')
    await link(net, ['a', 'm'])
    const sentAt = Date.now()
    raw(net, 'm', { type: 'chat', id: 'x1', text: 'from the future', at: 1e16 })
    await settle()
    expectWarning(/^room: m sent times more than a day off our clock \(at\): kept the arrival time$/)
    expect(chatLines(ana)).toEqual([{ text: 'from the future', at: sentAt }])
    for (const entry of ana.chat) expect(chatTime(entry.at).text).not.toBe('--:--')

    // A forged history: a far-future line in Mallory's snapshot reaches a newcomer bounded too.
    const cy = join(net, 'c', 'Cy')
    await link(net, ['a', 'c'])
    expect(chatLines(cy)).toEqual([{ text: 'from the future', at: sentAt }])
    raw(net, 'm', 'not even json')
    await settle()
    expectWarning(/ERR_NOT_JSON/)
  })

  it('bounds join times in presence and hello: a claim of having been here since 1970 is the arrival time', async () => {
    const net = new FakeNet()
    const ana = join(net, 'a', 'Ana', true)
    const mallory = join(net, 'm', 'Mallory')
    net.transports.get('m')!.muted = true // Mallory's own hello does not go out; a forged one does
    net.link('a', 'm')
    await settle()
    net.transports.get('m')!.muted = false
    const arrival = Date.now()
    raw(net, 'm', {
      type: 'hello',
      self: { name: 'Mallory', joinedAt: 0 },
      snapshot: {
        members: [{ id: 'm', name: 'Mallory', joinedAt: 0 }],
        hostId: null,
        locked: false,
        removed: [],
        chat: [{ id: 'm:1', from: 'a', name: 'Ana', text: 'old', at: -1e15 }],
        features: {},
      },
    })
    await settle()
    expectWarning(/self\.joinedAt, members\[0\]\.joinedAt, chat\[0\]\.at/)
    expect(ana.members.get('m')?.joinedAt).toBe(arrival)
    expect(chatLines(ana)).toEqual([{ text: 'old', at: arrival }])
    raw(net, 'm', { type: 'presence', self: { name: 'Mallory', joinedAt: 1e16 } })
    await settle()
    expectWarning(/\(joinedAt\)/)
    expect(ana.members.get('m')?.joinedAt).toBe(Date.now())
    expect(ana.host).toBe('a')
    void mallory
  })

  it('floods: over its budget it is dropped (its links close) and ignored for a while; others still chat', async () => {
    const net = new FakeNet()
    const ana = join(net, 'a', 'Ana', true)
    const bo = join(net, 'b', 'Bo')
    join(net, 'm', 'Mallory')
    await link(net, ['a', 'b'], ['a', 'm'])
    const flood = DEFAULT_RATE_LIMITS.burstMessages + 500
    for (let i = 0; i < flood; i++) raw(net, 'm', { type: 'chat', id: `f${i}`, text: 'spam', at: Date.now() })
    await settle()
    expectWarning(/^room: m sent more than its message budget: ignored for 60 s$/)
    const spam = chatLines(ana).length
    expect(spam).toBeLessThan(DEFAULT_RATE_LIMITS.burstMessages)
    expect(net.transports.get('a')!.links.has('m')).toBe(false)
    bo.sendChat('still here')
    await settle()
    expect(chatLines(ana).at(-1)?.text).toBe('still here')

    // Reconnected within its penalty: still ignored. After it: heard again.
    await link(net, ['a', 'm'])
    raw(net, 'm', { type: 'chat', id: 'late', text: 'let me in', at: Date.now() })
    await settle()
    expect(chatLines(ana).some((line) => line.text === 'let me in')).toBe(false)
    await vi.advanceTimersByTimeAsync(PENALTY_MS)
    net.transports.get('a')!.lose('m', 'disconnected')
    await vi.advanceTimersByTimeAsync(10_000)
    await link(net, ['a', 'm'])
    raw(net, 'm', { type: 'chat', id: 'later', text: 'behaving now', at: Date.now() })
    await settle()
    expect(chatLines(ana).at(-1)?.text).toBe('behaving now')
  })

  it('a byte flood counts too: a few huge messages go over the byte budget', async () => {
    const net = new FakeNet()
    const ana = join(net, 'a', 'Ana', true)
    ana.registerFeature('playback', { onMessage: () => {} })
    join(net, 'm', 'Mallory')
    await link(net, ['a', 'm'])
    const big = 'x'.repeat(900_000)
    const count = Math.ceil(DEFAULT_RATE_LIMITS.burstBytes / big.length) + 1
    for (let i = 0; i < count; i++) raw(net, 'm', { type: 'feature', feature: 'playback', body: big })
    await settle()
    expectWarning(/sent more than its message budget/)
    expect(net.transports.get('a')!.links.has('m')).toBe(false)
  })

  it('names: NFKC lookalikes and format characters are the same name, and get a suffix', async () => {
    const net = new FakeNet()
    const rooms = [
      join(net, 'a', 'Alice', true),
      join(net, 'b', 'Ａｌｉｃｅ'), // full-width
      join(net, 'c', 'Al\u200Bi\u202Ece\u0007'), // zero-width space, bidi override, bell
    ]
    await link(net, ['a', 'b'], ['a', 'c'], ['b', 'c'])
    for (const room of rooms)
      expect(room.memberList.map((member) => member.name)).toEqual(['Alice', 'Alice (2)', 'Alice (3)'])
  })

  it('sends messages for a feature nobody registered: dropped with a log line', async () => {
    const net = new FakeNet()
    const ana = join(net, 'a', 'Ana', true)
    const got: unknown[] = []
    ana.registerFeature('playlist', { onMessage: (_from, body) => got.push(body) })
    join(net, 'm', 'Mallory')
    await link(net, ['a', 'm'])
    raw(net, 'm', { type: 'feature', feature: 'nonsense', body: 1 })
    raw(net, 'm', { type: 'feature', feature: 'playlist', body: 2 })
    await settle()
    expectWarning(/^room: ignored a message from m for unknown feature nonsense$/)
    expect(got).toEqual([2])
  })
})
