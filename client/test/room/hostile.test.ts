/**
 * A member running a modified page: what it sends is bounded on arrival (times, names, feature names, rate),
 * and nothing it sends breaks the other members' rooms or a newcomer's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Room } from '../../src/lib/room/room.svelte.ts'
import { encodeRoomMessage, type OutgoingRoomMessage } from '../../src/lib/room/protocol.ts'
import { DEFAULT_RATE_LIMITS, PENALTY_MS } from '../../src/lib/room/rate-limit.ts'
import { chatTime } from '../../src/lib/room/chat-time.ts'
import { flushRooms, signedMembers } from './signed-members.ts'
import { connectedSignaling, FakeNet } from '../mesh/fakes.ts'
import { signChat } from '../../src/lib/room/chat-signing.ts'
import { base64url } from '../../src/lib/random.ts'
import { expectWarning } from '../console.ts'

const NOW = 1_700_000_000_000

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(NOW)
})
afterEach(() => vi.useRealTimers())

/** Members' peer ids by label; each id is its key pair's (a real Ed25519 pair per member). */
const { id, signers } = signedMembers(['a', 'b', 'c', 'm'])
const made: Room[] = []

const flush = () => flushRooms(made)

/** A chat line as Mallory's modified page sends it: signed by her own key, with whatever time she likes. */
async function signedChat(from: string, lineId: string, text: string, at: number, name = 'Mallory') {
  const line = { documentId: 'doc', id: `${from}:${lineId}`, from, name, text, at }
  const { sig } = await signChat(signers.get(from)!, line)
  return { type: 'chat' as const, id: lineId, name, text, at, sig }
}

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
    signer: signers.get(id)!,
  })
  net.keys.set(id, signers.get(id)!.publicKey)
  made.push(room)
  room.start()
  return room
}

async function link(net: FakeNet, ...pairs: [string, string][]): Promise<void> {
  for (const [a, b] of pairs) net.link(a, b)
  await flush()
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
    const ana = join(net, id.a, 'Ana', true)
    join(net, id.m, 'Mallory')
    await link(net, [id.a, id.m])
    const sentAt = Date.now()
    raw(net, id.m, await signedChat(id.m, 'x1', 'from the future', 1e16))
    await flush()
    expectWarning(/sent times more than a day off our clock \(at\): kept the arrival time$/)
    expect(chatLines(ana)).toEqual([{ text: 'from the future', at: sentAt }])
    for (const entry of ana.chat) expect(chatTime(entry.at).text).not.toBe('--:--')

    // Ana's history keeps the line as Mallory signed it; a newcomer checks it and shows it at its arrival.
    const cy = join(net, id.c, 'Cy')
    await link(net, [id.a, id.c])
    expectWarning(/dated more than a day off our clock: shown at their arrival/)
    expect(chatLines(cy)).toEqual([{ text: 'from the future', at: Date.now() }])
    raw(net, id.m, 'not even json')
    await flush()
    expectWarning(/ERR_NOT_JSON/)
  })

  it('bounds join times in presence and hello: a claim of having been here since 1970 is the arrival time', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const mallory = join(net, id.m, 'Mallory')
    net.transports.get(id.m)!.muted = true // Mallory's own hello does not go out; a forged one does
    net.link(id.a, id.m)
    await flush()
    net.transports.get(id.m)!.muted = false
    const arrival = Date.now()
    // A line Mallory signed herself, passed off as Ana's.
    const { sig } = await signedChat(id.m, '1', 'old', -1e15)
    const forged = { at: -1e15, pub: base64url(signers.get(id.m)!.publicKey), sig }
    raw(net, id.m, {
      type: 'hello',
      self: { name: 'Mallory', joinedAt: 0 },
      snapshot: {
        members: [{ id: id.m, name: 'Mallory', joinedAt: 0 }],
        authority: null,
        chat: [{ ...forged, id: `${id.a}:1`, from: id.a, name: 'Ana', text: 'old' }],
        features: {},
      },
    })
    await flush()
    expectWarning(/self\.joinedAt, members\[0\]\.joinedAt\)/)
    expectWarning(/dropped 1 forged chat line/)
    expect(ana.members.get(id.m)?.joinedAt).toBe(arrival)
    expect(chatLines(ana)).toEqual([])
    raw(net, id.m, { type: 'presence', self: { name: 'Mallory', joinedAt: 1e16 } })
    await flush()
    expectWarning(/\(joinedAt\)/)
    expect(ana.members.get(id.m)?.joinedAt).toBe(Date.now())
    expect(ana.host).toBe(id.a)
    void mallory
  })

  it('floods: over its budget it is dropped (its links close) and ignored for a while; others still chat', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    join(net, id.m, 'Mallory')
    await link(net, [id.a, id.b], [id.a, id.m])
    const flood = DEFAULT_RATE_LIMITS.burstMessages + 500
    const lines = await Promise.all(
      Array.from({ length: flood }, (_, i) => signedChat(id.m, `f${i}`, 'spam', Date.now())),
    )
    for (const line of lines) raw(net, id.m, line)
    await flush()
    expectWarning(/sent more than its message budget: ignored for 60 s$/)
    const spam = chatLines(ana).length
    expect(spam).toBeLessThan(DEFAULT_RATE_LIMITS.burstMessages)
    expect(net.transports.get(id.a)!.links.has(id.m)).toBe(false)
    bo.sendChat('still here')
    await flush()
    expect(chatLines(ana).at(-1)?.text).toBe('still here')

    // Reconnected within its penalty: still ignored. After it: heard again.
    await link(net, [id.a, id.m])
    raw(net, id.m, await signedChat(id.m, 'late', 'let me in', Date.now()))
    await flush()
    expect(chatLines(ana).some((line) => line.text === 'let me in')).toBe(false)
    await vi.advanceTimersByTimeAsync(PENALTY_MS)
    net.transports.get(id.a)!.lose(id.m, 'disconnected')
    await vi.advanceTimersByTimeAsync(10_000)
    await link(net, [id.a, id.m])
    raw(net, id.m, await signedChat(id.m, 'later', 'behaving now', Date.now()))
    await flush()
    expect(chatLines(ana).at(-1)?.text).toBe('behaving now')
  })

  it('a byte flood counts too: a few huge messages go over the byte budget', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    ana.registerFeature('playback', { onMessage: () => {} })
    join(net, id.m, 'Mallory')
    await link(net, [id.a, id.m])
    const big = 'x'.repeat(900_000)
    const count = Math.ceil(DEFAULT_RATE_LIMITS.burstBytes / big.length) + 1
    for (let i = 0; i < count; i++) raw(net, id.m, { type: 'feature', feature: 'playback', body: big })
    await flush()
    expectWarning(/sent more than its message budget/)
    expect(net.transports.get(id.a)!.links.has(id.m)).toBe(false)
  })

  it('names: NFKC lookalikes and format characters are the same name, and get a suffix', async () => {
    const net = new FakeNet()
    const rooms = [
      join(net, id.a, 'Alice', true),
      join(net, id.b, 'Ａｌｉｃｅ'), // full-width
      join(net, id.c, 'Al\u200Bi\u202Ece\u0007'), // zero-width space, bidi override, bell
    ]
    await link(net, [id.a, id.b], [id.a, id.c], [id.b, id.c])
    for (const room of rooms)
      expect(room.memberList.map((member) => member.name)).toEqual(['Alice', 'Alice (2)', 'Alice (3)'])
  })

  it('sends messages for a feature nobody registered: dropped with a log line', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const got: unknown[] = []
    ana.registerFeature('playlist', { onMessage: (_from, body) => got.push(body) })
    join(net, id.m, 'Mallory')
    await link(net, [id.a, id.m])
    raw(net, id.m, { type: 'feature', feature: 'nonsense', body: 1 })
    raw(net, id.m, { type: 'feature', feature: 'playlist', body: 2 })
    await flush()
    expectWarning(/^room: ignored a message from \S+ for unknown feature nonsense$/)
    expect(got).toEqual([2])
  })
})
