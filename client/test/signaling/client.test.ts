import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  backoffDelay,
  CLOSE_SUPERSEDED,
  HEARTBEAT_INTERVAL_MS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  SignalingClient,
  type SignalState,
} from '../../src/lib/signaling/client.ts'
import { FakeSocket } from './fakes.ts'

let sockets: FakeSocket[] = []
let states: SignalState['kind'][] = []

function client() {
  const signaling = new SignalingClient({
    baseUrl: 'ws://example.test',
    peerId: 'me',
    token: 'secret-token',
    socket: (url, protocols) => {
      const socket = new FakeSocket(url, protocols)
      sockets.push(socket)
      return socket
    },
    random: () => 1,
  })
  signaling.on('state', (state) => states.push(state.kind))
  return signaling
}

beforeEach(() => {
  vi.useFakeTimers()
  sockets = []
  states = []
})
afterEach(() => vi.useRealTimers())

describe('SignalingClient', () => {
  it('registers with its token, joins, and reports introductions', () => {
    const signaling = client()
    const introductions: unknown[] = []
    signaling.on('introduction', (id, keys) => introductions.push([id, keys]))
    signaling.join('doc')
    // The token goes in the subprotocols, never in the URL (which proxies log).
    expect(sockets[0]!.url).toBe('ws://example.test/introduction/me')
    expect(sockets[0]!.protocols).toEqual(['theatron', 'theatron-token.secret-token'])
    sockets[0]!.open()
    expect(sockets[0]!.sent).toEqual([{ type: 'Join', join: ['doc'] }])
    sockets[0]!.receive({ type: 'Introduction', id: 'you', keys: ['doc'] })
    sockets[0]!.receive({ type: 'Introduction', id: 42 }) // malformed: ignored
    sockets[0]!.receive({ type: 'Introduction', id: '../x', keys: ['doc'] }) // not a peer id: ignored
    expect(introductions).toEqual([['you', ['doc']]])
    expect(signaling.pipeUrl('you', 'doc')).toBe('ws://example.test/connection/me/you/doc')
    signaling.destroy()
  })

  it('sends a heartbeat every interval', () => {
    const signaling = client()
    sockets[0]!.open()
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS * 2)
    expect(sockets[0]!.sent).toEqual([{ type: 'Heartbeat' }, { type: 'Heartbeat' }])
    signaling.destroy()
  })

  it('reconnects with exponential backoff and joins again', () => {
    const signaling = client()
    signaling.join('doc')
    sockets[0]!.open()
    sockets[0]!.drop()
    expect(signaling.state).toMatchObject({ kind: 'waiting', retryInMs: RECONNECT_BASE_MS })
    vi.advanceTimersByTime(RECONNECT_BASE_MS)
    sockets[1]!.drop()
    expect(signaling.state).toMatchObject({ kind: 'waiting', retryInMs: RECONNECT_BASE_MS * 2 })
    vi.advanceTimersByTime(RECONNECT_BASE_MS * 2)
    sockets[2]!.open()
    expect(sockets[2]!.sent).toEqual([{ type: 'Join', join: ['doc'] }])
    // (the first 'connecting' happened in the constructor, before anyone listened)
    expect(states).toEqual(['connected', 'waiting', 'connecting', 'waiting', 'connecting', 'connected'])
    signaling.destroy()
  })

  it('jitters the delay and caps it', () => {
    expect(backoffDelay(0, () => 0)).toBe(RECONNECT_BASE_MS / 2)
    expect(backoffDelay(30, () => 1)).toBe(RECONNECT_MAX_MS)
    expect(backoffDelay(30, () => 0)).toBe(RECONNECT_MAX_MS / 2)
  })

  it('stops when another socket took over its registration', () => {
    const signaling = client()
    sockets[0]!.open()
    sockets[0]!.drop(CLOSE_SUPERSEDED, 'taken over')
    expect(signaling.state.kind).toBe('stopped')
    vi.advanceTimersByTime(RECONNECT_MAX_MS * 2)
    expect(sockets).toHaveLength(1)
    signaling.destroy()
  })

  it('destroy() closes the socket and leaves no timer', () => {
    const signaling = client()
    sockets[0]!.open()
    signaling.destroy()
    expect(sockets[0]!.readyState).toBe(3)
    expect(sockets[0]!.onclose).toBeNull()
    expect(vi.getTimerCount()).toBe(0)
  })
})
