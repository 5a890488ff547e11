import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const SW_NAME = 'sw.min.js'

/**
 * WebTorrent streams into <video> through its service worker, whose scope must contain the page:
 * serve `webtorrent/dist/sw.min.js` at the site root in dev, and emit it at the root of the build.
 */
function webtorrentServiceWorker(): Plugin {
  const source = () => readFileSync(require.resolve(`webtorrent/dist/${SW_NAME}`))
  return {
    name: 'theatron:webtorrent-sw',
    configureServer(server) {
      server.middlewares.use(`/${SW_NAME}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript')
        res.setHeader('Service-Worker-Allowed', '/')
        res.end(source())
      })
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: SW_NAME, source: source() })
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  plugins: [svelte(), webtorrentServiceWorker()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'client', include: ['client/test/**/*.test.ts'], setupFiles: ['client/test/setup.ts'] },
      },
      { extends: true, test: { name: 'signal-server', include: ['signal-server/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['e2e/bench/**/*.test.ts'] } },
    ],
  },
})
