/**
 * Join codes over the real signal server (pipes and introductions on loopback), with `ws` sockets: a newcomer
 * with the right code gets the room secret; a wrong guess gets nothing and burns the member's code.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createSignalServer } from '../../../signal-server/src/index.ts'
import { CodeAnswerer, type CodeState } from '../../src/lib/invite/answerer.ts'
import { parseCode, type JoinCode } from '../../src/lib/invite/code.ts'
import { joinByCode } from '../../src/lib/invite/join.ts'
import { randomId } from '../../src/lib/random.ts'
import { SignalingClient } from '../../src/lib/signaling/client.ts'
import type { SocketFactory, SocketLike } from '../../src/lib/signaling/socket.ts'

/** A `ws` socket as the browser's: errors are followed by a close, which the client handles. */
const socket: SocketFactory = (url, protocols) => {
  const ws = new WebSocket(url, protocols)
  ws.on('error', () => {})
  return ws as unknown as SocketLike
}
const SECRET = new TextEncoder().encode('AAAAAAAAAAAAAAAAAAAAAA')
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function server(): Promise<string> {
  const signal = createSignalServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const { port } = await signal.listen()
  closers.push(() => signal.close())
  return `ws://127.0.0.1:${port}`
}

/** A member's answerer on its own registration with the server, as a room page has. */
function answerer(signalUrl: string): CodeAnswerer {
  const signaling = new SignalingClient({ baseUrl: signalUrl, peerId: randomId(), token: randomId(), socket })
  const made = new CodeAnswerer({ signaling, socket, payload: SECRET })
  closers.push(() => {
    made.destroy()
    signaling.destroy()
  })
  return made
}

function nextCode(member: CodeAnswerer): Promise<CodeState> {
  return new Promise((resolve) => {
    const off = member.on('code', (state) => {
      off()
      resolve(state)
    })
  })
}

function codeOf(state: CodeState): JoinCode {
  const parsed = parseCode(state.code)
  if (!parsed.ok) throw new Error(`not a code: ${state.code}`)
  return parsed.code
}

describe('join by code through the signal server', () => {
  it('admits a newcomer with the right code', async () => {
    const signalUrl = await server()
    const member = answerer(signalUrl)
    const admitted = new Promise<void>((resolve) => member.on('admitted', resolve))
    const outcome = await joinByCode(codeOf(member.state), { signalUrl, socket })
    expect(outcome).toEqual({ ok: true, payload: SECRET })
    await admitted
    // The code stays valid for the next person.
    expect(await joinByCode(codeOf(member.state), { signalUrl, socket })).toEqual({
      ok: true,
      payload: SECRET,
    })
  })

  it('a wrong guess gets no secret and burns the code', async () => {
    const signalUrl = await server()
    const member = answerer(signalUrl)
    const before = member.state.code
    const right = codeOf(member.state)
    const guess: JoinCode = {
      ...right,
      words: [right.words[0], right.words[1] === 'zebra' ? 'apple' : 'zebra'],
    }
    const burnt = nextCode(member)
    expect(await joinByCode(guess, { signalUrl, socket })).toEqual({ ok: false, reason: 'wrong' })
    const after = await burnt
    expect(after.code).not.toBe(before)
    // The old, right words are no use now either: nobody waits at the old nameplate (or, by chance, a new
    // code drew the same nameplate and the old words are wrong for it).
    const late = await joinByCode(right, { signalUrl, socket, nobodyMs: 1500 })
    expect(late.ok).toBe(false)
  })

  it('says nobody answered when nobody waits at the nameplate', async () => {
    const signalUrl = await server()
    const code = parseCode('7-tiger-sofa')
    if (!code.ok) throw new Error('bad code')
    expect(await joinByCode(code.code, { signalUrl, socket, nobodyMs: 500 })).toEqual({
      ok: false,
      reason: 'nobody',
    })
  })

  it('says offline when the signal server cannot be reached', async () => {
    const code = parseCode('7-tiger-sofa')
    if (!code.ok) throw new Error('bad code')
    expect(await joinByCode(code.code, { signalUrl: 'ws://127.0.0.1:9', socket, nobodyMs: 500 })).toEqual({
      ok: false,
      reason: 'offline',
    })
  })

  it('two newcomers at once: one waits for the other, both get in', async () => {
    const signalUrl = await server()
    const member = answerer(signalUrl)
    const code = codeOf(member.state)
    const outcomes = await Promise.all([
      joinByCode(code, { signalUrl, socket }),
      joinByCode(code, { signalUrl, socket }),
    ])
    expect(outcomes).toEqual([
      { ok: true, payload: SECRET },
      { ok: true, payload: SECRET },
    ])
  })
})
