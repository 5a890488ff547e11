/**
 * `npm run dev`: Vite with hot reload, its WebSocket endpoints proxied to a signal server started
 * in the same process on a free port.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'
import { createSignalServer } from './server.ts'
import { turnFromEnv } from './turn.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const signal = createSignalServer({
  host: '127.0.0.1',
  port: 0,
  clientDir: null,
  logLevel: process.env.LOG_LEVEL ?? 'info',
  turn: turnFromEnv(process.env),
})
const { port: signalPort } = await signal.listen()
const target = `http://127.0.0.1:${signalPort}`

const vite = await createServer({
  configFile: join(ROOT, 'vite.config.ts'),
  server: {
    port: Number(process.env.PORT ?? 5173),
    proxy: {
      '/introduction': { target, ws: true },
      '/connection': { target, ws: true },
      '/healthz': target,
      '/turn': target,
      '/metrics': target,
    },
  },
})
await vite.listen()
vite.printUrls()
console.log(`signal server on ${target}`)

const stop = async () => {
  await vite.close()
  await signal.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
