import { describe, expect, it } from 'vitest'
import { isValidId, isValidToken } from '../src/ids.ts'
import { parseUpgradeUrl, selectProtocol } from '../src/routes.ts'

const TOKEN = 'token-0123456789abcdef'

describe('ids', () => {
  it.each(['a', 'A9', 'a'.repeat(128), 'x.y_z~w-v', '...', '.a', '~'])('accepts %j', (id) => {
    expect(isValidId(id)).toBe(true)
  })
  it.each(['', '.', '..', 'a'.repeat(129), 'a/b', 'a:b', 'a b', 'é', 'a%20', 'a\n', 42, null, undefined])(
    'rejects %j',
    (id) => {
      expect(isValidId(id)).toBe(false)
    },
  )
  it('tokens are 16-256 safe characters', () => {
    expect(isValidToken('a'.repeat(16))).toBe(true)
    expect(isValidToken('a'.repeat(256))).toBe(true)
    expect(isValidToken('a'.repeat(15))).toBe(false)
    expect(isValidToken('a'.repeat(257))).toBe(false)
    expect(isValidToken(`${'a'.repeat(16)}/`)).toBe(false)
  })
})

describe('parseUpgradeUrl', () => {
  it('routes /introduction/:peerId with an optional token', () => {
    expect(parseUpgradeUrl('/introduction/alice')).toEqual({
      ok: true,
      route: { kind: 'introduction', peerId: 'alice', token: null },
    })
    expect(parseUpgradeUrl(`/introduction/alice/?token=${TOKEN}`)).toEqual({
      ok: true,
      route: { kind: 'introduction', peerId: 'alice', token: TOKEN },
    })
  })

  it('routes /connection/:local/:remote/:document', () => {
    expect(parseUpgradeUrl('/connection/alice/bob/doc-1')).toEqual({
      ok: true,
      route: {
        kind: 'connection',
        localPeerId: 'alice',
        remotePeerId: 'bob',
        documentId: 'doc-1',
        token: null,
      },
    })
  })

  it('reads the token from the subprotocols, ahead of the URL', () => {
    const header = `theatron, theatron-token.${TOKEN}`
    expect(parseUpgradeUrl('/introduction/alice', header)).toEqual({
      ok: true,
      route: { kind: 'introduction', peerId: 'alice', token: TOKEN },
    })
    expect(parseUpgradeUrl('/connection/alice/bob/doc', header)).toMatchObject({ route: { token: TOKEN } })
    expect(parseUpgradeUrl(`/introduction/alice?token=${'x'.repeat(16)}`, header)).toMatchObject({
      route: { token: TOKEN },
    })
    // Other subprotocols are no token.
    expect(parseUpgradeUrl('/introduction/alice', 'theatron, chat')).toMatchObject({ route: { token: null } })
  })

  it.each([
    ['a short token', 'theatron-token.short'],
    ['two tokens', `theatron-token.${TOKEN}, theatron-token.${TOKEN}x`],
    ['an empty token', 'theatron, theatron-token.'],
  ])('refuses %s in the subprotocols', (_name, header) => {
    expect(parseUpgradeUrl('/introduction/alice', header)).toMatchObject({
      ok: false,
      error: { status: 400, reason: 'bad-token' },
    })
  })

  it('selects the marker subprotocol, never one carrying the token', () => {
    expect(selectProtocol(new Set(['theatron', `theatron-token.${TOKEN}`]))).toBe('theatron')
    expect(selectProtocol(new Set([`theatron-token.${TOKEN}`]))).toBe(false)
    expect(selectProtocol(new Set())).toBe(false)
  })

  it('decodes percent-escapes before validating', () => {
    expect(parseUpgradeUrl('/introduction/%61lice')).toMatchObject({ route: { peerId: 'alice' } })
    expect(parseUpgradeUrl('/introduction/a%2Fb')).toMatchObject({ ok: false, error: { reason: 'bad-id' } })
    expect(parseUpgradeUrl('/introduction/%E0%A4%A')).toMatchObject({ ok: false, error: { status: 400 } })
  })

  it.each([
    ['/introduction/' + 'a'.repeat(129), 'bad-id'],
    ['/introduction/a%20b', 'bad-id'],
    ['/introduction/caf%C3%A9', 'bad-id'],
    ['/introduction/a:b', 'bad-id'],
    ['/introduction/alice?token=short', 'bad-token'],
    ['/introduction/alice?token=' + 'a'.repeat(257), 'bad-token'],
    [`/introduction/alice?token=${TOKEN}%2F`, 'bad-token'],
    ['/connection/a%2Fb/bob/doc', 'bad-id'],
    ['/connection/alice/b:b/doc', 'bad-id'],
    ['/connection/alice/bob/' + 'd'.repeat(129), 'bad-id'],
    ['/connection/alice/alice/doc', 'same-peer'],
  ])('%s → 400 %s', (url, reason) => {
    expect(parseUpgradeUrl(url)).toMatchObject({ ok: false, error: { status: 400, reason } })
  })

  it.each([
    '/',
    '/introduction',
    '/introduction/',
    '/introduction/a/b',
    '/connection/a/b',
    '/connection/a/b/c/d',
    '/connect/bob',
    '/Introduction/alice',
    '/metrics',
    '',
    undefined,
  ])('%j → 404', (url) => {
    expect(parseUpgradeUrl(url)).toMatchObject({ ok: false, error: { status: 404, reason: 'not-found' } })
  })

  it('ids that join with "/" cannot collide: a/b/c never parses as a connection id', () => {
    // A pair key is `${from}/${to}/${doc}`; since ids cannot contain '/', no two triples share a key.
    expect(parseUpgradeUrl('/connection/a%2Fb/c/d')).toMatchObject({ ok: false })
    expect(parseUpgradeUrl('/connection/a/b%2Fc/d')).toMatchObject({ ok: false })
  })
})
