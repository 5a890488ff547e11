import { webcrypto } from 'node:crypto'
import { WebSocket } from 'ws'
import { test, expect } from '../lib/fixtures.ts'
import { RecordingProxy } from '../lib/proxy.ts'
import {
  createRoom,
  expectMembers,
  expectMessage,
  join,
  person,
  say,
  transports,
  type Person,
} from '../lib/room.ts'
import { expectVideoReady, readVideo } from '../lib/sync.ts'
import { ensureTestVideo } from '../scripts/make-test-video.ts'

// Browsers, a signal server, a proxy in front of it, and a stranger speaking its protocols.
test.setTimeout(120_000)

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')

/** The room document id as the server learns it: from a member's Join, as the proxy recorded it. */
function documentIdIn(proxy: RecordingProxy): string {
  // Each member also joins the rendezvous of its own join code: the room's document is the one every
  // member joins.
  const joins = new Map<string, number>()
  for (const payload of proxy.payloads) {
    const match = /"type":"Join","join":(\[[^\]]*\])/.exec(payload)
    if (!match) continue
    for (const id of JSON.parse(match[1]!) as string[]) joins.set(id, (joins.get(id) ?? 0) + 1)
  }
  const [room] = [...joins].sort((a, b) => b[1] - a[1])
  if (!room) throw new Error('no Join recorded')
  return room[0]
}

/**
 * Someone who knows only the document id: registers with the signal server, joins the document, and on each
 * introduction opens the pipe to that member and speaks the pipe protocol at it — the first version's frames
 * (a hello, "no WebRTC", then a room hello and a chat line in the clear) and this version's (a hello with a
 * key pair of its own, a made-up proof, a made-up sealed frame). Resolves with the members it reached once
 * every pipe it opened was closed by the other side.
 */
async function stranger(serverUrl: string, documentId: string, members: number): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as CryptoKeyPair
  const pub = new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey))
  const id = base64url(new Uint8Array(await webcrypto.subtle.digest('SHA-256', pub)))
  const signature = new Uint8Array(await webcrypto.subtle.sign('Ed25519', keys.privateKey, new Uint8Array(8)))
  const introduction = new WebSocket(`${serverUrl}/introduction/${id}`)
  const closed: Promise<void>[] = []
  const reached = new Promise<void>((resolve) => {
    introduction.on('open', () => introduction.send(JSON.stringify({ type: 'Join', join: [documentId] })))
    introduction.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string }
      if (message.type !== 'Introduction' || !message.id) return
      const pipe = new WebSocket(`${serverUrl}/connection/${id}/${message.id}/${documentId}`)
      closed.push(new Promise((done) => pipe.on('close', () => done())))
      pipe.on('open', () => {
        const room = (body: object) => JSON.stringify({ k: 'room', m: JSON.stringify({ v: 1, ...body }) })
        pipe.send(JSON.stringify({ k: 'hello', epoch: 'stranger' }))
        pipe.send(JSON.stringify({ k: 'no-webrtc' }))
        pipe.send(
          room({
            type: 'hello',
            self: { name: 'Mallory', joinedAt: 1 },
            snapshot: { members: [], hostId: null, locked: false, removed: [], chat: [], features: {} },
          }),
        )
        pipe.send(room({ type: 'chat', id: 'm1', text: 'a stranger was here', at: Date.now() }))
        const nonce = base64url(webcrypto.getRandomValues(new Uint8Array(16)))
        pipe.send(JSON.stringify({ k: 'hello', epoch: 'stranger-2', id, pub: base64url(pub), nonce }))
        const mac = base64url(webcrypto.getRandomValues(new Uint8Array(32)))
        pipe.send(JSON.stringify({ k: 'proof', mac, sig: base64url(signature) }))
        pipe.send(
          JSON.stringify({ k: 'sealed', c: base64url(webcrypto.getRandomValues(new Uint8Array(64))) }),
        )
      })
      if (closed.length === members) resolve()
    })
  })
  await reached
  // Every member drops the stranger's pipe: the server then closes the stranger's side.
  await Promise.all(closed)
  introduction.close()
}

test.describe('trust', () => {
  let people: Person[] = []
  let proxy: RecordingProxy | null = null
  test.afterEach(async () => {
    await Promise.all(people.map((someone) => someone.close()))
    people = []
    await proxy?.close()
    proxy = null
  })

  test('a stranger who knows the document id never becomes a member, and its chat never shows', async ({
    app,
    chromiumBrowser,
  }) => {
    proxy = await RecordingProxy.start(app.baseURL.replace(/^http/, 'ws'))
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { signalUrl: proxy.url })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo', { signalUrl: proxy.url })
    people = [ana, bo]
    const link = await createRoom(ana)
    for (const someone of people) await join(someone, link)
    await expectMembers(people, ['Ana', 'Bo'])

    await stranger(app.baseURL.replace(/^http/, 'ws'), documentIdIn(proxy), people.length)

    // The room still works, and nobody ever saw the stranger or its line.
    await say(ana, 'just us')
    await expectMessage(people, ana, 'just us')
    await expectMembers(people, ['Ana', 'Bo'])
    for (const someone of people) {
      await expect(someone.page.getByTestId('chat-message').filter({ hasText: 'stranger' })).toHaveCount(0)
      await expect(someone.page.getByTestId('member-name').filter({ hasText: 'Mallory' })).toHaveCount(0)
    }
  })

  test('with a member on the relay, the server sees no chat, no secret and no title, and the room plays', async ({
    app,
    chromiumBrowser,
  }) => {
    const video = await ensureTestVideo()
    proxy = await RecordingProxy.start(app.baseURL.replace(/^http/, 'ws'))
    const ana = await person(chromiumBrowser, app.baseURL, 'Ana', { signalUrl: proxy.url })
    const bo = await person(chromiumBrowser, app.baseURL, 'Bo', { signalUrl: proxy.url })
    const cy = await person(chromiumBrowser, app.baseURL, 'Cy', { signalUrl: proxy.url, noWebRTC: true })
    people = [ana, bo, cy]
    // A browser without WebRTC shows no uncaught error, whatever the room does.
    const uncaught: string[] = []
    cy.page.on('pageerror', (error) => uncaught.push(error.message))

    const link = await createRoom(ana)
    const secret = /#\/r2\/([A-Za-z0-9_-]{22})$/.exec(link)![1]!
    for (const someone of people) await join(someone, link)
    await expectMembers(people, ['Ana', 'Bo', 'Cy'])
    await expect.poll(() => transports(cy)).toEqual(['relay', 'relay'])

    await say(cy, 'whispered over the relay')
    await say(ana, 'loud and clear, Cy')
    await expectMessage(people, cy, 'whispered over the relay')
    await expectMessage(people, ana, 'loud and clear, Cy')

    // The host adds a video: its playlist entry reaches Cy over the relay; Ana and Bo stream it.
    await ana.page.getByTestId('file-input').setInputFiles(video)
    for (const someone of people) await expect(someone.page.getByTestId('playlist-item')).toHaveCount(1)
    await expectVideoReady([ana, bo])
    // Cy cannot stream (torrents need WebRTC), so it does not hold the room for its own buffer.
    await cy.page.getByTestId('hold-opt-out').check()
    // The room starts playing the added video; Cy pauses it and plays it again, over the relay.
    const toggles = people.map((someone) => someone.page.getByTestId('play-toggle'))
    for (const toggle of toggles) await expect(toggle).toHaveText('Pause')
    await cy.page.getByTestId('play-toggle').click()
    for (const toggle of toggles) await expect(toggle).toHaveText('Play')
    await cy.page.getByTestId('play-toggle').click()
    for (const toggle of toggles) await expect(toggle).toHaveText('Pause')
    await expect.poll(async () => (await readVideo(bo.page)).paused).toBe(false)

    const seen = proxy.transcript
    expect(proxy.payloads.length).toBeGreaterThan(20) // the relay carried the room
    for (const text of ['whispered', 'loud and clear', secret, 'test-video', '"room"', '"chat"']) {
      expect(seen, `the server saw ${text}`).not.toContain(text)
    }
    expect(uncaught).toEqual([])
  })
})
