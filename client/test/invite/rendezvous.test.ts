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

function nextCode(answerer: CodeAnswerer): Promise<CodeState> {
  return new Promise((resolve) => {
    const off = answerer.on('code', (state) => {
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
    const answerer = new CodeAnswerer({ signalUrl, socket, payload: SECRET })
    closers.push(() => answerer.destroy())
    const admitted = new Promise<void>((resolve) => answerer.on('admitted', resolve))
    const outcome = await joinByCode(codeOf(answerer.state), { signalUrl, socket })
    expect(outcome).toEqual({ ok: true, payload: SECRET })
    await admitted
    // The code stays valid for the next person.
    expect(await joinByCode(codeOf(answerer.state), { signalUrl, socket })).toEqual({
      ok: true,
      payload: SECRET,
    })
  })

  it('a wrong guess gets no secret and burns the code', async () => {
    const signalUrl = await server()
    const answerer = new CodeAnswerer({ signalUrl, socket, payload: SECRET })
    closers.push(() => answerer.destroy())
    const before = answerer.state.code
    const right = codeOf(answerer.state)
    const guess: JoinCode = {
      ...right,
      words: [right.words[0], right.words[1] === 'zebra' ? 'apple' : 'zebra'],
    }
    const burnt = nextCode(answerer)
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
    const answerer = new CodeAnswerer({ signalUrl, socket, payload: SECRET })
    closers.push(() => answerer.destroy())
    const code = codeOf(answerer.state)
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
