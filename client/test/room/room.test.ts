import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  LEAVE_GRACE_MS,
  LINK_SILENCE_MS,
  MAX_EARLY_BYTES,
  MAX_EARLY_MESSAGES,
  PING_INTERVAL_MS,
  REMOVE_LINGER_MS,
  Room,
  type RoomSignaling,
} from '../../src/lib/room/room.svelte.ts'
import { encodeRoomMessage } from '../../src/lib/room/protocol.ts'
import { signChat } from '../../src/lib/room/chat-signing.ts'
import { signStatement } from '../../src/lib/room/authority-signing.ts'
import { toWire } from '../../src/lib/room/authority.ts'
import { expectWarning } from '../console.ts'
import { flushRooms, signedMembers } from './signed-members.ts'
import { connectedSignaling, FakeNet } from '../mesh/fakes.ts'

/** Members' peer ids by label; each id is its key pair's (a real Ed25519 pair per member). */
const { id, signers } = signedMembers(['a', 'b', 'c', 'd', 'x', 'y', 'z'])
/** The rooms made in the current test. */
const made: Room[] = []

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(1_000_000)
  made.length = 0
})
afterEach(() => vi.useRealTimers())

const flush = () => flushRooms(made)

function join(
  net: FakeNet,
  id: string,
  name: string,
  creator = false,
  signaling: RoomSignaling = connectedSignaling,
  onRotate?: (secret: string) => void,
): Room {
  vi.advanceTimersByTime(10) // members join one after another
  const room = new Room({
    selfId: id,
    documentId: 'doc',
    membership: { creator, joinedAt: Date.now() },
    fresh: true,
    name,
    transport: net.add(id),
    signaling,
    features: ['playback'],
    signer: signers.get(id)!,
    ...(onRotate ? { onRotate } : {}),
  })
  net.keys.set(id, signers.get(id)!.publicKey)
  made.push(room)
  room.start()
  return room
}

/** Full mesh among the given rooms. */
async function mesh(net: FakeNet, rooms: Room[]): Promise<void> {
  for (let i = 0; i < rooms.length; i++) {
    for (let j = i + 1; j < rooms.length; j++) {
      if (!net.transports.get(rooms[i]!.selfId)!.links.has(rooms[j]!.selfId))
        net.link(rooms[i]!.selfId, rooms[j]!.selfId)
    }
  }
  await flush()
}

const names = (room: Room) => room.memberList.map((member) => member.name)
const messages = (room: Room) =>
  room.chat.flatMap((entry) => (entry.kind === 'chat' ? [`${entry.name}: ${entry.text}`] : []))

describe('Room', () => {
  it('shows every message once to everyone, attributed to the channel it came through', async () => {
    const net = new FakeNet()
    const rooms = [join(net, id.a, 'Ana', true), join(net, id.b, 'Bo'), join(net, id.c, 'Cy')]
    await mesh(net, rooms)
    rooms[1]!.sendChat('hi from Bo')
    rooms[2]!.sendChat('  hi from Cy  ')
    await flush()
    // Sent at the same instant: each peer shows them in arrival order, each exactly once.
    for (const room of rooms) expect(messages(room).sort()).toEqual(['Bo: hi from Bo', 'Cy: hi from Cy'])
    expect(rooms[0]!.sendChat('   ')).toBe(false)
    expect(rooms[0]!.sendChat(id.x.repeat(2001))).toBe(false)
  })

  it('gives clashing names the same suffix on every peer', async () => {
    const net = new FakeNet()
    const rooms = [join(net, id.z, 'Ana', true), join(net, id.y, 'ana'), join(net, id.x, 'Ana')]
    await mesh(net, rooms)
    for (const room of rooms) expect(names(room)).toEqual(['Ana', 'ana (2)', 'Ana (3)'])
  })

  it('sends a newcomer the snapshot: members, host, lock and recent chat', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    ana.setLocked(true)
    ana.sendChat('before you came')
    await flush()
    const cy = join(net, id.c, 'Cy')
    await mesh(net, [ana, bo, cy])
    expect(cy.host).toBe(id.a)
    expect(cy.locked).toBe(true)
    expect(cy.canControlPlayback()).toBe(false)
    expect(ana.canControlPlayback()).toBe(true)
    expect(messages(cy)).toEqual(['Ana: before you came'])
    expect(names(cy)).toEqual(['Ana', 'Bo', 'Cy'])
  })

  it("hands the host role to the first present member of the host's signed roster when the host leaves", async () => {
    const net = new FakeNet()
    const rooms = [
      join(net, id.a, 'Ana', true),
      join(net, id.c, 'Cy'),
      join(net, id.b, 'Bo'),
      join(net, id.d, 'Di'),
    ]
    await mesh(net, rooms)
    for (const room of rooms) expect(room.host).toBe(id.a)
    net.drop(id.a)
    await flush()
    const rest = rooms.slice(1)
    // within the grace period the host may be reloading: nothing changes yet
    for (const room of rest) expect(room.host).toBe(id.a)
    await vi.advanceTimersByTimeAsync(LEAVE_GRACE_MS)
    for (const room of rest) {
      expect(room.host).toBe(id.c) // Cy joined right after Ana
      expect(names(room)).toEqual(['Cy', 'Bo', 'Di'])
      expect(room.chat.some((entry) => entry.kind === 'notice' && entry.text === 'Ana left')).toBe(true)
    }
    expect(rooms[1]!.isHost).toBe(true)
  })

  it('lets only the host lock controls and remove members; everyone then ignores the removed one', async () => {
    const net = new FakeNet()
    const rooms = [join(net, id.a, 'Ana', true), join(net, id.b, 'Bo'), join(net, id.c, 'Cy')]
    const [ana, bo, cy] = rooms as [Room, Room, Room]
    await mesh(net, rooms)
    // a non-host cannot lock, locally, by the old unsigned messages, or by statements it signs itself
    bo.setLocked(true)
    bo.removeMember(id.c)
    net.transports.get(id.b)!.broadcast(JSON.stringify({ v: 1, type: 'lock', locked: true }))
    const chain = toWire(ana.authority!)
    const forged = await signStatement(signers.get(id.b)!, {
      kind: 'state',
      room: chain.grants[0]!.body.room,
      term: 0,
      seq: 99,
      members: [id.b],
      removed: [id.a, id.c],
      locked: true,
    })
    net.transports
      .get(id.b)!
      .broadcast(
        encodeRoomMessage({ type: 'authority', authority: { grants: chain.grants, state: forged.signed } }),
      )
    await flush()
    // one line on each of the two receivers
    for (const _ of [ana, cy]) {
      expectWarning(/ERR_INVALID/)
      expectWarning(/ignored .*'s authority chain: the state is not signed by its term’s host/)
    }
    for (const room of rooms) expect(room.locked).toBe(false)
    expect(names(ana)).toEqual(['Ana', 'Bo', 'Cy'])
    expect(names(cy)).toEqual(['Ana', 'Bo', 'Cy'])

    ana.removeMember(id.c)
    await flush()
    expect(cy.ended).toBe('removed')
    for (const room of [ana, bo]) {
      expect(names(room)).toEqual(['Ana', 'Bo'])
      expect([...room.removed]).toEqual([id.c])
    }
    // the host lets the link go once the removal had time to arrive; later introductions are ignored
    await vi.advanceTimersByTimeAsync(REMOVE_LINGER_MS)
    net.link(id.a, id.c)
    expect(net.transports.get(id.a)!.links.has(id.c)).toBe(false)
  })

  it('hands the host role over on request; the new host locks, the old one no longer can', async () => {
    const net = new FakeNet()
    const rooms = [join(net, id.a, 'Ana', true), join(net, id.b, 'Bo'), join(net, id.c, 'Cy')]
    const [ana, bo, cy] = rooms as [Room, Room, Room]
    await mesh(net, rooms)
    cy.makeHost(id.c) // not the host: nothing happens
    ana.makeHost(id.c)
    await flush()
    for (const room of rooms) expect(room.host).toBe(id.c)
    expect(cy.isHost).toBe(true)
    ana.setLocked(true)
    await flush()
    for (const room of rooms) expect(room.locked).toBe(false)
    cy.setLocked(true)
    await flush()
    for (const room of rooms) expect(room.locked).toBe(true)
    expect(bo.canControlPlayback()).toBe(false)
    expect(cy.canControlPlayback()).toBe(true)
  })

  it('refuses a removed member for good: its messages are ignored, a newcomer learns the removal too', async () => {
    const net = new FakeNet()
    const rooms = [join(net, id.a, 'Ana', true), join(net, id.b, 'Bo'), join(net, id.c, 'Cy')]
    const [ana, bo, cy] = rooms as [Room, Room, Room]
    await mesh(net, rooms)
    ana.removeMember(id.c)
    await flush()
    net.transports
      .get(id.c)!
      .broadcast(encodeRoomMessage({ type: 'presence', self: { name: 'Back', joinedAt: 1 } }))
    await flush()
    expect(names(bo)).toEqual(['Ana', 'Bo'])
    const di = join(net, id.d, 'Di')
    await mesh(net, [ana, bo, di])
    expect([...di.removed]).toEqual([id.c])
    net.link(id.d, id.c)
    expect(net.transports.get(id.d)!.links.has(id.c)).toBe(false)
    expect(cy.ended).toBe('removed')
  })

  it("moves the remaining members to the host's new link; a rotate from anyone else is ignored", async () => {
    const net = new FakeNet()
    const rotated = new Map<string, string[]>()
    const rooms = [id.a, id.b, id.c].map((peer, index) => {
      const room = join(net, peer, ['Ana', 'Bo', 'Cy'][index]!, index === 0, connectedSignaling, (secret) =>
        rotated.set(peer, [...(rotated.get(peer) ?? []), secret]),
      )
      return room
    })
    const [ana, bo, cy] = rooms as [Room, Room, Room]
    await mesh(net, rooms)
    bo.rotateLink() // not the host
    const chain = toWire(ana.authority!)
    const forged = await signStatement(signers.get(id.b)!, {
      kind: 'rotate',
      room: chain.grants[0]!.body.room,
      term: 0,
      from: 'doc',
      secret: 'A'.repeat(22),
    })
    net.transports.get(id.b)!.broadcast(encodeRoomMessage({ type: 'rotate', statement: forged.signed }))
    await flush()
    for (const _ of [ana, cy]) expectWarning(/ignored .*'s new link: a rotate not from the host/)
    expect(rotated.size).toBe(0)
    ana.removeMember(id.c)
    await flush()
    ana.rotateLink()
    await flush()
    const secret = rotated.get(id.a)?.[0]
    expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(rotated.get(id.b)).toEqual([secret])
    expect(rotated.has(id.c)).toBe(false)
    expect(cy.ended).toBe('removed')
  })

  it('keeps a member through a reload: no leave, same name, chat history back', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    ana.sendChat('remember me')
    await flush()
    net.drop(id.b)
    bo.destroy()
    await flush()
    expect(ana.memberList.find((member) => member.id === id.b)?.away).toBe(true)
    const reloaded = new Room({
      selfId: id.b,
      documentId: 'doc',
      membership: { creator: false, joinedAt: bo.joinedAt },
      fresh: false,
      name: 'Bo',
      transport: net.add(id.b),
      signaling: connectedSignaling,
      signer: signers.get(id.b)!,
    })
    made.push(reloaded)
    reloaded.start()
    await mesh(net, [ana, reloaded])
    await vi.advanceTimersByTimeAsync(LEAVE_GRACE_MS)
    expect(names(ana)).toEqual(['Ana', 'Bo'])
    expect(ana.chat.some((entry) => entry.kind === 'notice' && entry.text.includes('left'))).toBe(false)
    expect(messages(reloaded)).toEqual(['Ana: remember me'])
  })

  it('carries feature snapshots and messages for later layers (playlist, playback)', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const got: unknown[] = []
    const handle = ana.registerFeature('playlist', {
      snapshot: () => ({ items: [id.x] }),
      onMessage: () => {},
    })
    const bo = join(net, id.b, 'Bo')
    bo.registerFeature('playlist', {
      applySnapshot: (from, value) => got.push(['snapshot', from, value]),
      onMessage: (from, body) => got.push(['message', from, body]),
    })
    await mesh(net, [ana, bo])
    handle.send({ add: id.y })
    await flush()
    expect(got).toEqual([
      ['snapshot', id.a, { items: [id.x] }],
      ['message', id.a, { add: id.y }],
    ])
  })

  it('hands a late-registered feature the snapshots that arrived before it', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    ana.registerFeature('playback', { snapshot: () => ({ playing: true }), onMessage: () => {} })
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    const got: unknown[] = []
    bo.registerFeature('playback', {
      applySnapshot: (from, value) => got.push([from, value]),
      onMessage: () => {},
    })
    expect(got).toEqual([[id.a, { playing: true }]])
  })

  it('drops a member that went silent without closing its links, and asks to be introduced again', async () => {
    const net = new FakeNet()
    const joins: string[] = []
    const ana = join(net, id.a, 'Ana', true, { ...connectedSignaling, join: (doc) => joins.push(doc) })
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    joins.length = 0
    net.transports.get(id.b)!.muted = true
    await vi.advanceTimersByTimeAsync(LINK_SILENCE_MS + PING_INTERVAL_MS)
    expect(names(ana)).toEqual(['Ana'])
    expect(ana.chat.some((entry) => entry.kind === 'notice' && entry.text === 'Bo left')).toBe(true)
    expect(joins).toEqual(['doc'])
  })

  it('links while its name is asked, silent and unlisted, and enters with what the members said meanwhile', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    const joins: string[] = []
    const cy = join(net, id.c, '', false, { ...connectedSignaling, join: (doc) => joins.push(doc) })
    // On the signal server before it has a name: its links to the members form now.
    expect(joins).toEqual(['doc'])
    await mesh(net, [ana, bo, cy])
    expect(cy.linkCount).toBe(2)
    ana.sendChat('while Cy picks a name')
    ana.setLocked(true)
    await flush()
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS) // the members' pings: a tab not in the room is silent
    await flush()
    expect(cy.started).toBe(false)
    expect(cy.members.size).toBe(0)
    expect(messages(cy)).toEqual([])
    for (const room of [ana, bo]) expect(names(room)).toEqual(['Ana', 'Bo'])
    expect(ana.memberList.map((member) => member.rtt)).toEqual([null, 0])

    cy.setName('Cy')
    await flush()
    for (const room of [ana, bo, cy]) expect(names(room)).toEqual(['Ana', 'Bo', 'Cy'])
    expect(messages(cy)).toEqual(['Ana: while Cy picks a name'])
    expect(cy.host).toBe(id.a)
    expect(cy.locked).toBe(true)
    expect(joins).toEqual(['doc'])
  })

  it('drops the link of a member that sends too much before the entry, and is introduced again on entering', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const joins: string[] = []
    const cy = join(net, id.c, '', false, { ...connectedSignaling, join: (doc) => joins.push(doc) })
    let kept = 0 // what cy keeps of ana's: everything but pings and pongs
    net.transports.get(id.c)!.on('message', (_from, data) => {
      if (!/"type":"p[io]ng"/.test(data)) kept++
    })
    await mesh(net, [ana, cy])
    const presence = encodeRoomMessage({ type: 'presence', self: { name: 'Ana', joinedAt: ana.joinedAt } })
    const anaNet = net.transports.get(id.a)!
    while (kept < MAX_EARLY_MESSAGES) {
      anaNet.send(id.c, presence)
      await flush()
    }
    expect(cy.linkCount).toBe(1)
    anaNet.send(id.c, presence)
    await flush()
    expect(cy.linkCount).toBe(0)
    anaNet.lose(id.c, 'disconnected') // the mesh closes both ends
    expect(joins).toEqual(['doc'])

    cy.setName('Cy')
    expect(joins).toEqual(['doc', 'doc'])
    await mesh(net, [ana, cy])
    for (const room of [ana, cy]) expect(names(room)).toEqual(['Ana', 'Cy'])
  })

  it('keeps at most MAX_EARLY_BYTES of what one member sends before the entry', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const cy = join(net, id.c, '', false)
    await mesh(net, [ana, cy])
    // Room messages a member may send (the feature's body is its own business), near the largest allowed.
    const big = encodeRoomMessage({ type: 'feature', feature: 'playback', body: 'x'.repeat(990_000) })
    const anaNet = net.transports.get(id.a)!
    // With its hello (a few kB), as many as fit.
    for (let i = 0; i < Math.floor(MAX_EARLY_BYTES / big.length); i++) {
      anaNet.send(id.c, big)
      await flush()
    }
    expect(cy.linkCount).toBe(1)
    anaNet.send(id.c, big)
    await flush()
    expect(cy.linkCount).toBe(0)
  })

  it('moves a newcomer whose clock runs behind to after the members it finds, and saves that', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const saved: number[] = []
    const bo = new Room({
      selfId: id.b,
      documentId: 'doc',
      membership: { creator: false, joinedAt: ana.joinedAt - 1000 },
      fresh: true,
      name: 'Bo',
      transport: net.add(id.b),
      signaling: connectedSignaling,
      signer: signers.get(id.b)!,
      saveMembership: (membership) => saved.push(membership.joinedAt),
    })
    made.push(bo)
    bo.start()
    await mesh(net, [ana, bo])
    expect(bo.joinedAt).toBe(ana.joinedAt + 1)
    expect(saved).toEqual([ana.joinedAt + 1])
    for (const room of [ana, bo]) expect(names(room)).toEqual(['Ana', 'Bo'])
    expect(bo.host).toBe(id.a)
  })

  it('measures the round trip to each member with its pings', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    expect(ana.memberList.map((member) => member.rtt)).toEqual([null, null])
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS)
    expect(ana.memberList.map((member) => member.rtt)).toEqual([null, 0])
  })

  it('destroy() clears its timers', async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    net.drop(id.b)
    bo.destroy()
    await flush()
    ana.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it("drops a chat line whose signature is not its sender's", async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    const line = {
      documentId: 'doc',
      id: `${id.b}:l1`,
      from: id.b,
      name: 'Bo',
      text: 'not mine',
      at: Date.now(),
    }
    const { sig } = await signChat(signers.get(id.c)!, line) // Cy's key, sent as Bo's line
    net.transports
      .get(id.b)!
      .broadcast(
        encodeRoomMessage({ type: 'chat', id: 'l1', name: 'Bo', text: 'not mine', at: line.at, sig }),
      )
    // and a genuine line, which still shows
    bo.sendChat('mine')
    await flush()
    expect(messages(ana)).toEqual(['Bo: mine'])
    expectWarning(/dropped a chat line from .* with a bad signature/)
  })

  it("drops a snapshot's history line that claims another author, and keeps the genuine ones", async () => {
    const net = new FakeNet()
    const ana = join(net, id.a, 'Ana', true)
    const bo = join(net, id.b, 'Bo')
    await mesh(net, [ana, bo])
    ana.sendChat('genuine')
    await flush()
    const cy = join(net, id.c, 'Cy')
    // Bo, modified, sends Cy a hello whose history puts words in Ana's mouth, signed by Bo
    net.transports.get(id.b)!.links.add(id.c)
    net.transports.get(id.c)!.connect(id.b)
    const at = Date.now()
    const forgedLine = { documentId: 'doc', id: `${id.a}:f1`, from: id.a, name: 'Ana', text: 'I resign', at }
    const bySignature = await signChat(signers.get(id.b)!, forgedLine)
    const genuine = ana.chat.find((entry) => entry.kind === 'chat')!
    if (genuine.kind !== 'chat') throw new Error('no genuine line')
    const history = [
      {
        id: genuine.id,
        from: genuine.from,
        text: 'genuine',
        ...genuine.signature,
      },
      // Bo's key and signature on a line that says it is Ana's
      { ...forgedLine, pub: bySignature.pub, sig: bySignature.sig },
      // Ana's key with Bo's signature
      { ...forgedLine, id: `${id.a}:f2`, pub: genuine.signature.pub, sig: bySignature.sig },
      // Ana's own signature on her line, its text changed
      { id: genuine.id + 'x', from: id.a, text: 'changed', ...genuine.signature },
    ]
    net.transports.get(id.b)!.send(
      id.c,
      encodeRoomMessage({
        type: 'hello',
        self: { name: 'Bo', joinedAt: bo.joinedAt },
        snapshot: { members: [], authority: null, chat: history, features: {} },
      }),
    )
    await flush()
    expect(messages(cy)).toEqual(['Ana: genuine'])
    expectWarning(/dropped 3 forged chat line/)
  })
})
