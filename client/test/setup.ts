/**
 * Setup for every client test file: a test fails on a `console.warn` or `console.error` it did not
 * claim with `expectWarning`/`expectError` (./console.ts), so a new warning cannot go unnoticed.
 */
import { afterAll, afterEach, beforeAll } from 'vitest'
import { captureConsole, releaseConsole, takeUnexpected } from './console.ts'

function failOnUnexpected(when: string): void {
  const unexpected = takeUnexpected()
  if (unexpected.length === 0) return
  throw new Error(
    `unexpected console output ${when}:\n${unexpected.join('\n')}\n` +
      'claim it with expectWarning(/…/) or expectError(/…/), or stop it at its source',
  )
}

beforeAll(captureConsole)

afterEach(() => failOnUnexpected('in or just before this test'))

afterAll(() => {
  releaseConsole()
  failOnUnexpected('after the last test of this file')
})
