/**
 * `npm start`: build the client when it is missing or older than its sources, then serve everything.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_CLIENT_DIR, main } from './main.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SOURCES = ['client/src', 'client/index.html', 'client/public', 'vite.config.ts', 'package-lock.json']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce(
    (newest, name) => Math.max(newest, newestMtime(join(path, name))),
    stat.mtimeMs,
  )
}

export function clientIsStale(): boolean {
  const built = join(DEFAULT_CLIENT_DIR, 'index.html')
  if (!existsSync(built)) return true
  const builtAt = statSync(built).mtimeMs
  return SOURCES.some((source) => newestMtime(join(ROOT, source)) > builtAt)
}

if (clientIsStale()) {
  console.log('building the client…')
  const { build } = await import('vite')
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' })
}
await main()
