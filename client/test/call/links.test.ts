import type { VideoEncoding } from '../../src/lib/call/quality.ts'
import { describe, expect, it } from 'vitest'
import {
  CallLinks,
  type LocalTracks,
  CONNECT_TIMEOUT_MS,
  MAX_CANDIDATES,
  MAX_RESTARTS,
  RESTART_WINDOW_MS,
  RETRY_MIN_MS,
  type CallConnection,
  type ConnectionEvents,
} from '../../src/lib/call/links.ts'
import type { LinkState } from '../../src/lib/call/tiles.ts'
import type { CallMessage, CandidateInit, MediaState } from '../../src/lib/call/wire.ts'
import { ManualTimers } from '../manual-timers.ts'
import { expectWarning } from '../console.ts'

/** A connection that records what was asked of it; the test says when it connects or fails. */
class FakeConnection implements CallConnection<string> {
  tracks: [string | null, string | null, string | null] = [null, null, null]
  bitrate: number | null = null
  candidates: CandidateInit[] = []
  answers: string[] = []
  closed = false
  constructor(
    readonly initiator: boolean,
    readonly events: ConnectionEvents,
  ) {}
  createOffer(): Promise<string> {
    return Promise.resolve('offer-sdp')
  }
  acceptOffer(): Promise<string> {
    return Promise.resolve('answer-sdp')
  }
  acceptAnswer(sdp: string): Promise<void> {
    this.answers.push(sdp)
    return Promise.resolve()
  }
  addCandidate(candidate: CandidateInit): void {
    this.candidates.push(candidate)
  }
  setTracks({ audio, video, screen }: LocalTracks<string>): void {
    this.tracks = [audio, video, screen]
  }
  setEncoding(encoding: VideoEncoding): void {
    this.bitrate = encoding.maxBitrate
  }
  close(): void {
    this.closed = true
  }
}

interface Side {
  id: string
  links: CallLinks<string>
  made: FakeConnection[]
  states: Map<string, LinkState>
}

/** Two members, `a` (the lower id: it offers) and `b`, whose messages go straight to each other. */
function pair() {
  const timers = new ManualTimers()
  const sides = new Map<string, Side>()
  const sent: { from: string; to: string; message: CallMessage }[] = []
  const side = (id: string): Side => {
    const made: FakeConnection[] = []
    const states = new Map<string, LinkState>()
    const links = new CallLinks<string>({
      selfId: id,
      createConnection: (initiator, events) => {
        const connection = new FakeConnection(initiator, events)
        made.push(connection)
        return connection
      },
      send: (to, message) => {
        sent.push({ from: id, to, message })
        sides.get(to)?.links.receive(id, message)
      },
      changed: (peerId, state) => states.set(peerId, state),
      timers,
      now: () => timers.now,
    })
    const created = { id, links, made, states }
    sides.set(id, created)
    return created
  }
  const a = side('a')
  const b = side('b')
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    // As the room does: every member's snapshot says what it sends (nothing, at first), and the transport.
    self.links.setRemote(other.id, { mic: false, cam: false, screen: false })
    self.links.setTransport(other.id, 'webrtc')
  }
  /** One side turns its devices on or off: its state reaches the other first, as the room's ordered channel does. */
  const set = (
    who: Side,
    state: MediaState,
    audio: string | null = null,
    video: string | null = null,
    screen: string | null = null,
  ) => {
    const other = who === a ? b : a
    other.links.setRemote(who.id, state)
    who.links.setLocal(state, { audio, video, screen })
  }
  return { a, b, timers, sent, set }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('CallLinks', () => {
  it('no connection while nobody has a device on', () => {
    const { a, b, set } = pair()
    set(a, { mic: false, cam: false, screen: false })
    expect(a.made).toEqual([])
    expect(b.made).toEqual([])
  })

  it('a device on: the lower id offers, the other answers, both send what they have', async () => {
    const { a, b, set, sent } = pair()
    set(b, { mic: true, cam: false, screen: false }, 'b-mic')
    await settle()
    expect(a.made).toHaveLength(1)
    expect(b.made).toHaveLength(1)
    expect(a.made[0]!.initiator).toBe(true)
    expect(sent.map(({ from, message }) => `${from}:${message.t}`)).toEqual(['a:offer', 'b:answer'])
    expect(a.made[0]!.answers).toEqual(['answer-sdp'])
    expect(b.made[0]!.tracks).toEqual(['b-mic', null, null])
    expect(a.made[0]!.tracks).toEqual([null, null, null])
    expect(a.states.get('b')).toBe('connecting')
    a.made[0]!.events.state('connected')
    b.made[0]!.events.state('connected')
    expect(a.states.get('b')).toBe('connected')
    expect(a.links.state('b')).toBe('connected')

    // Turning the camera on later swaps tracks on the same connection: no new negotiation.
    set(b, { mic: true, cam: true, screen: false }, 'b-mic', 'b-cam')
    await settle()
    expect(b.made).toHaveLength(1)
    expect(b.made[0]!.tracks).toEqual(['b-mic', 'b-cam', null])
    expect(sent).toHaveLength(2)

    // So does sharing a screen.
    set(b, { mic: true, cam: true, screen: true }, 'b-mic', 'b-cam', 'b-screen')
    expect(b.made).toHaveLength(1)
    expect(b.made[0]!.tracks).toEqual(['b-mic', 'b-cam', 'b-screen'])

    // Candidates travel to the current connection.
    a.made[0]!.events.candidate({ candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 })
    expect(b.made[0]!.candidates).toHaveLength(1)

    // Everything off: the connection closes on both sides.
    set(b, { mic: false, cam: false, screen: false })
    expect(a.made[0]!.closed).toBe(true)
    expect(b.made[0]!.closed).toBe(true)
    expect(a.states.get('b')).toBe('none')
  })

  it('a shared screen alone is reason enough for a connection', async () => {
    const { a, b, set } = pair()
    set(b, { mic: false, cam: false, screen: true }, null, null, 'b-screen')
    await settle()
    expect(a.made).toHaveLength(1)
    expect(b.made[0]!.tracks).toEqual([null, null, 'b-screen'])
  })

  it('no connection to a member the room reaches only over the relay', () => {
    const { a, b, set } = pair()
    a.links.setTransport('b', 'relay')
    b.links.setTransport('a', 'relay')
    set(a, { mic: true, cam: true, screen: false }, 'mic', 'cam')
    expect(a.made).toEqual([])
    expect(b.made).toEqual([])
  })

  it('a failed connection is retried by the offerer after a back-off', async () => {
    const { a, b, set, timers } = pair()
    set(a, { mic: true, cam: false, screen: false }, 'a-mic')
    await settle()
    a.made[0]!.events.state('failed')
    expect(a.states.get('b')).toBe('failed')
    expect(a.made[0]!.closed).toBe(true)
    timers.advance(RETRY_MIN_MS - 1)
    expect(a.made).toHaveLength(1)
    timers.advance(1)
    await settle()
    expect(a.made).toHaveLength(2)
    // The answerer replaced its old connection with the new one.
    expect(b.made).toHaveLength(2)
    expect(b.made[0]!.closed).toBe(true)
  })

  it('a connection that never comes up is given up', async () => {
    const { a, set, timers } = pair()
    set(a, { mic: true, cam: false, screen: false }, 'a-mic')
    await settle()
    timers.advance(CONNECT_TIMEOUT_MS)
    expect(a.made[0]!.closed).toBe(true)
    expect(a.states.get('b')).toBe('failed')
  })

  it('the video encoding applies to every connection, present and future', async () => {
    const { a, b, set } = pair()
    a.links.setEncoding({ maxBitrate: 200_000, maxFramerate: 15, scaleResolutionDownBy: 2 })
    set(b, { mic: false, cam: true, screen: false }, null, 'cam')
    await settle()
    expect(a.made[0]!.bitrate).toBe(200_000)
    a.links.setEncoding({ maxBitrate: 600_000, maxFramerate: 24, scaleResolutionDownBy: 1 })
    expect(a.made[0]!.bitrate).toBe(600_000)
  })
})

describe('CallLinks against a hostile member', () => {
  /** `b` alone, receiving what a hostile `a` (the offerer, being the lower id) sends. */
  async function answerer() {
    const { b, set } = pair()
    set(b, { mic: true, cam: false, screen: false }, 'b-mic')
    await settle()
    return b
  }

  it('a second offer on the same connection (a renegotiation) is dropped', async () => {
    const b = await answerer()
    const link = 'hostile-1'
    b.links.receive('a', { t: 'offer', link, sdp: 'v=0' })
    await settle()
    const before = b.made.length
    b.links.receive('a', { t: 'offer', link, sdp: 'v=0' })
    expectWarning(/dropped a renegotiation from a/)
    expect(b.made).toHaveLength(before)
  })

  it(`candidates past ${MAX_CANDIDATES} are dropped, with one warning`, async () => {
    const b = await answerer()
    b.links.receive('a', { t: 'offer', link: 'l', sdp: 'v=0' })
    await settle()
    const connection = b.made.at(-1)!
    for (let i = 0; i < MAX_CANDIDATES + 50; i++)
      b.links.receive('a', { t: 'ice', link: 'l', candidate: { candidate: `c${i}` } })
    expectWarning(/sent over 64 candidates/)
    expect(connection.candidates).toHaveLength(MAX_CANDIDATES)
  })

  it(`more than ${MAX_RESTARTS} new connections a minute are refused`, async () => {
    const b = await answerer()
    const before = b.made.length
    for (let i = 0; i < MAX_RESTARTS + 3; i++) b.links.receive('a', { t: 'offer', link: `l${i}`, sdp: 'v=0' })
    await settle()
    for (let i = 0; i < 4; i++) expectWarning(/restarts its connection too often/)
    // The honest first connection counted too.
    expect(b.made.length - before).toBe(MAX_RESTARTS - 1)
  })

  it('a member flipping its devices on and off gets a new connection at most MAX_RESTARTS times a minute', async () => {
    const { a, timers } = pair()
    for (let i = 0; i < 20; i++) {
      a.links.setRemote('b', { mic: true, cam: false, screen: false })
      a.links.setRemote('b', { mic: false, cam: false, screen: false })
    }
    for (let i = 0; i < 20 - MAX_RESTARTS; i++) expectWarning(/turns its devices on and off too often/)
    expect(a.made).toHaveLength(MAX_RESTARTS)
    // Left on, it gets its connection once its turn comes.
    a.links.setRemote('b', { mic: true, cam: false, screen: false })
    expectWarning(/turns its devices on and off too often/)
    timers.advance(RESTART_WINDOW_MS)
    await settle()
    expect(a.made).toHaveLength(MAX_RESTARTS + 1)
    expect(a.made.at(-1)!.closed).toBe(false)
  })

  it('an offer from the member we offer to, or from one with nothing on, is ignored', async () => {
    const { a, b } = pair()
    a.links.receive('b', { t: 'offer', link: 'x', sdp: 'v=0' })
    b.links.setRemote('a', { mic: false, cam: false, screen: false })
    b.links.receive('a', { t: 'offer', link: 'y', sdp: 'v=0' })
    await settle()
    expect(a.made).toEqual([])
    expect(b.made).toEqual([])
  })

  it('answers and candidates for another connection are ignored', async () => {
    const { a, set } = pair()
    set(a, { mic: true, cam: false, screen: false }, 'a-mic')
    await settle()
    const connection = a.made[0]!
    a.links.receive('b', { t: 'answer', link: 'not-ours', sdp: 'v=0' })
    a.links.receive('b', { t: 'ice', link: 'not-ours', candidate: { candidate: 'c' } })
    expect(connection.answers).toEqual(['answer-sdp'])
    expect(connection.candidates).toEqual([])
  })
})
