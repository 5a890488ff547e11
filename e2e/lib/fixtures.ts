import { test as base, type Browser } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { createSignalServer, type SignalServer } from '../../signal-server/src/index.ts'
import { launchChromium } from './browser.ts'

/**
 * The client the tests drive: the e2e build (`npm run build:e2e`: the shipped client plus its test hooks,
 * `client/src/lib/testing/`). `THEATRON_CLIENT_DIST` points the tests at another build.
 */
export const CLIENT_DIST =
  process.env.THEATRON_CLIENT_DIST ?? fileURLToPath(new URL('../../client/dist-e2e', import.meta.url))
/** The shipped build (`npm run build`), without test hooks. */
export const SHIPPED_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url))

export interface RunningServer {
  server: SignalServer
  baseURL: string
}

/** Start the whole app (signal server + built client) on 127.0.0.1, port 0. */
export async function startApp(port = 0, clientDir = CLIENT_DIST): Promise<RunningServer> {
  const server = createSignalServer({ host: '127.0.0.1', port, clientDir, logLevel: 'warn' })
  const { port: actual } = await server.listen()
  return { server, baseURL: `http://127.0.0.1:${actual}` }
}

export const test = base.extend<{ app: RunningServer }, { chromiumBrowser: Browser }>({
  chromiumBrowser: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const browser = await launchChromium()
      await use(browser)
      await browser.close()
    },
    { scope: 'worker' },
  ],
  // eslint-disable-next-line no-empty-pattern
  app: async ({}, use) => {
    const app = await startApp()
    await use(app)
    await app.server.close()
  },
})

export { expect } from '@playwright/test'
