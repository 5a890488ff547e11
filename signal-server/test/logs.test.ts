/**
 * What the logs say at info level (an operator's default): no document id and no token, whatever
 * happens. Document ids appear as a keyed tag (redact.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '../src/errors.ts'
import { documentTag } from '../src/redact.ts'
import {
  connectionUrl,
  introductionUrl,
  joined,
  open,
  roundTrip,
  startServer,
  stopServers,
  tokenProtocols,
} from './helpers.ts'

afterEach(stopServers)

const DOCUMENT = 'the-room-document-id-1f2e3d'
const TOKEN = 'takeover-token-9a8b7c6d5e'

describe('logs at info', () => {
  it('never carry a document id or a token, through every event that logs', async () => {
    // The live registration must answer the duplicate's probe in time, however loaded the machine is.
    const h = await startServer({ held: { frames: 1, ageMs: 100 }, duplicateProbeMs: 2_000 }, 'info')
    // Registrations with a token, a takeover by token, a refused duplicate.
    const alice = await open(introductionUrl(h, 'alice'), {}, tokenProtocols(TOKEN))
    alice.sendJson({ type: 'Join', join: [DOCUMENT] })
    await roundTrip(alice)
    const again = await open(introductionUrl(h, 'alice', TOKEN))
    again.sendJson({ type: 'Join', join: [DOCUMENT] })
    await alice.closed
    const duplicate = await open(introductionUrl(h, 'alice'))
    expect((await duplicate.closed).code).toBe(CloseCode.Conflict)
    const [bob] = await joined(h, DOCUMENT, 'bob', 'carol')
    // Bad messages from a relay-dialect client are logged as warnings.
    bob!.sendMsgpack({ type: 'Join', documentIds: [`${DOCUMENT}/x`] })
    await roundTrip(bob!)
    h.takeWarnings()
    // A pipe over its held frames, one that waits too long, one refused.
    const overflow = await open(connectionUrl(h, 'bob', 'carol', DOCUMENT))
    overflow.ws.send('1')
    overflow.ws.send('2')
    expect((await overflow.closed).code).toBe(CloseCode.HeldTooMuch)
    const waiting = await open(connectionUrl(h, 'carol', 'bob', DOCUMENT))
    expect((await waiting.closed).code).toBe(CloseCode.HeldTooLong)
    const refused = await open(connectionUrl(h, 'dave', 'bob', DOCUMENT))
    expect((await refused.closed).code).toBe(CloseCode.Forbidden)

    const logged = JSON.stringify(h.records)
    expect(h.records.length).toBeGreaterThan(4)
    expect(logged).not.toContain(DOCUMENT)
    expect(logged).not.toContain(TOKEN)
    // The held-frame overflow names the pipe by its document's tag.
    expect(h.records.map((record) => record.pipe)).toContain(`bob/carol/${documentTag(DOCUMENT)}`)
  })
})

describe('documentTag', () => {
  it('is stable within a run, differs between documents, and is short', () => {
    expect(documentTag('a')).toBe(documentTag('a'))
    expect(documentTag('a')).not.toBe(documentTag('b'))
    expect(documentTag(DOCUMENT)).toMatch(/^[A-Za-z0-9_-]{10}$/)
  })
})
