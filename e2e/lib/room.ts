import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { newPerson } from './browser.ts'

export interface PersonOptions {
  /** Simulate a browser that cannot open WebRTC: the room must fall back to the signal-server pipe. */
  noWebRTC?: boolean
  /** `worker`: torrents play through WebTorrent's service worker, WebM too (default: WebM through MSE). */
  streamVia?: 'worker'
  /** Reach the signal server at this ws:// base URL (e.g. a recording proxy) instead of the page's origin. */
  signalUrl?: string
  /** Share a large dropped video before it is hashed (`theatron:share-early`); unset: the app's default (on). */
  shareEarly?: boolean
  /** `page`: MSE appends on the page's thread (`theatron:mse-thread`); unset: the app's default (a worker). */
  mseThread?: 'page'
}

export interface Person {
  name: string
  context: BrowserContext
  page: Page
  close(): Promise<void>
}

/**
 * One person in their own browser context. ICE servers and WebTorrent trackers are emptied (offline
 * machine; loopback candidates only), and without WebRTC `RTCPeerConnection` is deleted before the app loads.
 */
export async function person(
  browser: Browser,
  baseURL: string,
  name: string,
  options: PersonOptions = {},
): Promise<Person> {
  const context = await newPerson(browser, baseURL)
  await context.addInitScript(
    ({
      noWebRTC,
      streamVia,
      signalUrl,
      shareEarly,
      mseThread,
    }: {
      noWebRTC: boolean
      streamVia: string | null
      signalUrl: string | null
      shareEarly: boolean | null
      mseThread: string | null
    }) => {
      localStorage.setItem('theatron:ice-servers', '[]')
      if (signalUrl) localStorage.setItem('theatron:signal-url', signalUrl)
      // Offline: no public WebTorrent trackers; room members are the torrent peers.
      localStorage.setItem('theatron:trackers', '[]')
      if (streamVia) localStorage.setItem('theatron:stream-via', streamVia)
      if (shareEarly !== null) localStorage.setItem('theatron:share-early', shareEarly ? 'on' : 'off')
      if (mseThread) localStorage.setItem('theatron:mse-thread', mseThread)
      if (noWebRTC) {
        const scope = window as unknown as Record<string, unknown>
        delete scope.RTCPeerConnection
        delete scope.webkitRTCPeerConnection
      }
    },
    {
      noWebRTC: options.noWebRTC ?? false,
      streamVia: options.streamVia ?? null,
      signalUrl: options.signalUrl ?? null,
      shareEarly: options.shareEarly ?? null,
      mseThread: options.mseThread ?? null,
    },
  )
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`))
  return { name, context, page, close: () => context.close() }
}

/** The route of a room link this build makes (`#/r2/<secret>`, room/link.ts). */
export const ROOM_ROUTE = 'r2'

/**
 * Create a room from the home page and return its link. `route`: the link version the build under test
 * makes; a benchmark's baseline build may be older (`r`).
 */
export async function createRoom(host: Person, route = ROOM_ROUTE): Promise<string> {
  await host.page.goto('/')
  await host.page.getByTestId('create-room').click()
  const link = await host.page.getByTestId('room-link').getAttribute('href')
  expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/#/${route}/[A-Za-z0-9_-]{22}$`))
  return link as string
}

/**
 * The first person creates a room, everyone joins by its link under their names, and every one of them
 * sees all the others. Returns the link.
 */
export async function gather(people: Person[]): Promise<string> {
  const [first] = people
  if (!first) throw new Error('gather needs at least one person')
  const link = await createRoom(first)
  for (const someone of people) await join(someone, link)
  await expectMembers(
    people,
    people.map((someone) => someone.name),
  )
  return link
}

/** Open the room link and join under the person's name. */
export async function join(someone: Person, link: string): Promise<void> {
  await someone.page.goto(link)
  await enterName(someone)
}

export async function enterName(someone: Person): Promise<void> {
  await someone.page.getByTestId('name-input').fill(someone.name)
  await someone.page.getByTestId('name-save').click()
}

/** Open the room's invite (link, copy, QR, code), a dialog behind one button in the header. */
export async function openInvite(someone: Person): Promise<void> {
  await someone.page.getByTestId('invite-open').click()
  await expect(someone.page.getByTestId('invite-dialog')).toBeVisible()
}

/** Close the invite with Esc: the focus goes back to its button. */
export async function closeInvite(someone: Person): Promise<void> {
  await someone.page.keyboard.press('Escape')
  await expect(someone.page.getByTestId('invite-dialog')).toBeHidden()
  await expect(someone.page.getByTestId('invite-open')).toBeFocused()
}

export async function say(someone: Person, text: string): Promise<void> {
  await someone.page.getByTestId('chat-input').fill(text)
  await someone.page.getByTestId('chat-send').click()
}

/** Every listed person sees exactly these member names. */
export async function expectMembers(people: Person[], names: string[], timeout?: number): Promise<void> {
  for (const someone of people) {
    const members = someone.page.getByTestId('member-name')
    await expect(members).toHaveCount(names.length, { timeout })
    await expect
      .poll(async () => (await members.allInnerTexts()).sort(), { timeout })
      .toEqual([...names].sort())
  }
}

/** Every listed person sees `name` marked as the room's host. */
export async function expectHost(people: Person[], name: string): Promise<void> {
  for (const someone of people) {
    const host = someone.page.getByTestId('member').filter({ has: someone.page.getByTestId('member-host') })
    await expect(host.getByTestId('member-name')).toHaveText(name)
  }
}

/** Every listed person sees the message exactly once, attributed to the sender. */
export async function expectMessage(people: Person[], sender: Person, text: string): Promise<void> {
  for (const someone of people) {
    const message = someone.page.getByTestId('chat-message').filter({ hasText: text })
    await expect(message).toHaveCount(1)
    await expect(message.getByTestId('chat-sender')).toHaveText(sender.name)
  }
}

/** The transports `viewer` shows for the other members. */
export async function transports(viewer: Person): Promise<string[]> {
  return viewer.page
    .getByTestId('member')
    .evaluateAll((items) =>
      items.map((item) => item.getAttribute('data-transport') ?? '').filter((t) => t !== 'self'),
    )
}
