import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from '@playwright/test'

/** Debian's Chromium; Playwright cannot download its own browser on machines without internet. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium'

/**
 * Chromium flags: loopback ICE candidates for offline WebRTC, no background networking (on a closed
 * network Chromium's own connections are refused by the dozen), and a fake camera and microphone (a moving
 * test pattern and a beep) for contexts that hold their permissions.
 */
export const CHROMIUM_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-device-for-media-stream',
]

/** `extraArgs`: more flags for this browser, e.g. `--use-fake-ui-for-media-stream` to share a fake screen. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  })
}

/**
 * One browser context is one person: its own storage, its own tab identity. WebRTC only gathers
 * loopback candidates when the context holds camera and microphone permissions.
 */
export async function newPerson(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL })
  await context.grantPermissions(['camera', 'microphone'])
  return context
}
