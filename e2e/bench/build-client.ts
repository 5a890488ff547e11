/**
 * Each benchmark serves its own build of the client, so a concurrent `npm run build` (another bench, an e2e
 * run) can't empty the directory mid-run.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CACHE_DIR } from '../scripts/make-test-video.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)

/** Builds the client with its test hooks (the e2e build) into `e2e/.cache/<name>-dist`; returns that directory. */
export async function buildClient(name: string): Promise<string> {
  const outDir = join(CACHE_DIR, `${name}-dist`)
  await run(
    'npx',
    [
      'vite',
      'build',
      '--mode',
      'e2e',
      '--logLevel',
      'error',
      '--outDir',
      outDir,
      '--emptyOutDir',
      ...(process.env.BENCH_NO_MINIFY ? ['--minify', 'false'] : []),
    ],
    {
      cwd: ROOT,
    },
  )
  return outDir
}
