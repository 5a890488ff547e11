/**
 * CLI: `npm start` / `npm run signal`. Configuration from the environment (see README), built-in
 * defaults otherwise. Prints `listening on http(s)://HOST:PORT` with the real port.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigError, optionsFromEnv, type TlsFiles } from './config.ts'
import { createSignalServer } from './server.ts'
import { turnFromEnv } from './turn.ts'

/** After SIGTERM/SIGINT, exit even if something hangs. */
const SHUTDOWN_DEADLINE_MS = 5_000

export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../client/dist', import.meta.url))

/** `TLS_CERT` and `TLS_KEY`: PEM files to serve HTTPS with, both or neither. */
export function tlsFromEnv(
  env: NodeJS.ProcessEnv,
  read: (path: string) => Buffer = (path) => readFileSync(path),
): TlsFiles | null {
  const certPath = env.TLS_CERT || undefined
  const keyPath = env.TLS_KEY || undefined
  if (certPath === undefined && keyPath === undefined) return null
  if (certPath === undefined || keyPath === undefined)
    throw new ConfigError('TLS_CERT and TLS_KEY go together: set both (PEM files) or neither')
  const load = (name: string, path: string) => {
    try {
      return read(path)
    } catch (error) {
      throw new ConfigError(`${name}: cannot read ${JSON.stringify(path)} (${(error as Error).message})`)
    }
  }
  return { cert: load('TLS_CERT', certPath), key: load('TLS_KEY', keyPath) }
}

export async function main(
  env: NodeJS.ProcessEnv = process.env,
  argv = process.argv.slice(2),
): Promise<void> {
  let input
  let tls
  let turn
  try {
    input = optionsFromEnv(env)
    tls = tlsFromEnv(env)
    turn = turnFromEnv(env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`configuration error: ${error.message}`)
    process.exit(2)
  }
  const serveClient = !argv.includes('--no-client') && env.SERVE_CLIENT !== '0'
  const server = createSignalServer({
    ...input,
    port: input.port ?? 8080,
    clientDir: serveClient ? (env.CLIENT_DIR ?? DEFAULT_CLIENT_DIR) : null,
    processMetrics: true,
    tls,
    turn,
  })
  const { port, host } = await server.listen()
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  console.log(`listening on ${tls ? 'https' : 'http'}://${shown}:${port}`)

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: shutting down`)
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref()
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main()
}
