/**
 * Who may open a pipe: only a live registration joined to the document, towards a peer joined to it
 * too; a registration with a token must present it. And the token travels in the subprotocols, not the
 * URL. Relay and seed clients (no token) are covered by interop.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import {
  connectionUrl,
  introductionUrl,
  joined,
  jsonPeer,
  metricsText,
  open,
  roundTrip,
  sample,
  startServer,
  stopServers,
  tokenProtocols,
} from './helpers.ts'

afterEach(stopServers)

const TOKEN = 'alice-token-0123456789'

describe('a pipe request is refused with 4403', () => {
  it('from a peer id with no registration', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'bob')
    const stranger = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    expect(await stranger.closed).toEqual({
      code: CloseCode.Forbidden,
      reason: 'no live registration for this peer id',
    })
    expect(h.server.stats()).toMatchObject({ pipesWaiting: 0, pipesOpen: 0 })
  })

  it('from a registration that has not joined the document', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'bob')
    await joined(h, 'elsewhere', 'alice')
    const pipe = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    expect(await pipe.closed).toEqual({
      code: CloseCode.Forbidden,
      reason: 'this peer has not joined the document',
    })
  })

  it('towards a peer that has not joined the document (or is not there)', async () => {
    const h = await startServer()
    await joined(h, 'doc', 'alice')
    await joined(h, 'elsewhere', 'bob')
    for (const remote of ['bob', 'nobody']) {
      const pipe = await open(connectionUrl(h, 'alice', remote, 'doc'))
      expect(await pipe.closed).toEqual({
        code: CloseCode.Forbidden,
        reason: 'the other peer has not joined the document',
      })
    }
    expect(sample(await metricsText(h), 'theatron_signal_rejections_total{reason="pipe-forbidden"}')).toBe(2)
  })

  it('after the registration has left the document', async () => {
    const h = await startServer()
    const [alice] = await joined(h, 'doc', 'alice', 'bob')
    alice!.sendMsgpack({ type: 'Leave', documentIds: ['doc'] })
    await roundTrip(alice!)
    const pipe = await open(connectionUrl(h, 'alice', 'bob', 'doc'))
    expect((await pipe.closed).code).toBe(CloseCode.Forbidden)
  })

  it('without the token of a registration that has one, or with another token', async () => {
    const h = await startServer()
    await open(introductionUrl(h, 'alice'), {}, tokenProtocols(TOKEN)).then((alice) => {
      alice.sendJson({ type: 'Join', join: ['doc'] })
      return roundTrip(alice)
    })
    await joined(h, 'doc', 'bob')
    for (const protocols of [undefined, tokenProtocols('someone-elses-token-0000')]) {
      const pipe = await open(connectionUrl(h, 'alice', 'bob', 'doc'), {}, protocols)
      expect(await pipe.closed).toEqual({
        code: CloseCode.Forbidden,
        reason: 'the request does not carry the token of the registration',
      })
    }
  })
})

describe('pipes of joined peers', () => {
  it('open the moment the introduction arrives, tokens in the subprotocols, and pipe', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice'), {}, tokenProtocols(TOKEN))
    const bobToken = 'bob-token-0123456789abc'
    const bob = await open(introductionUrl(h, 'bob'), {}, tokenProtocols(bobToken))
    expect(alice.ws.protocol).toBe('theatron') // the token is never echoed back
    alice.sendJson({ type: 'Join', join: ['doc'] })
    await roundTrip(alice)
    bob.sendJson({ type: 'Join', join: ['doc'] })
    // Each side requests its pipe as soon as it hears of the other, as the clients do.
    const [toBob, toAlice] = await Promise.all(
      [
        [alice, 'alice', TOKEN],
        [bob, 'bob', bobToken],
      ].map(async ([peer, self, token]) => {
        const introduction = await (peer as typeof alice).nextMessage()
        return open(
          connectionUrl(h, self as string, introduction.id as string, 'doc'),
          {},
          tokenProtocols(token as string),
        )
      }),
    )
    await toBob!.send('hello bob', false)
    expect((await toAlice!.next()).data.toString()).toBe('hello bob')
    expect(h.server.stats()).toMatchObject({ pipesOpen: 1 })
  })

  it('the token of a registration still comes in the URL for older clients', async () => {
    const h = await startServer()
    const alice = await open(introductionUrl(h, 'alice', TOKEN))
    alice.sendJson({ type: 'Join', join: ['doc'] })
    await jsonPeer(h, 'bob', ['doc'])
    await alice.nextMessage()
    const pipe = await open(`${connectionUrl(h, 'alice', 'bob', 'doc')}?token=${TOKEN}`)
    await roundTrip(pipe)
    expect(h.server.stats().pipesWaiting).toBe(1)
  })

  it('a token in the subprotocols takes a live registration over', async () => {
    const h = await startServer({ duplicateProbeMs: 60_000 })
    const first = await open(introductionUrl(h, 'alice'), {}, tokenProtocols(TOKEN))
    const second = await open(introductionUrl(h, 'alice'), {}, tokenProtocols(TOKEN))
    expect((await first.closed).code).toBe(CloseCode.Superseded)
    expect(second.ws.readyState).toBe(second.ws.OPEN)
  })
})
