/**
 * Console guard for the client tests: every `console.warn` and `console.error` is captured, and a
 * test fails if it logs one it did not expect (see `setup.ts`). A test that provokes one asserts it
 * with `expectWarning(/pattern/)` or `expectError(/pattern/)`, which fail when nothing matching was
 * logged, so an expected warning is checked, not merely silenced.
 */
import { format } from 'node:util'

type Level = 'warn' | 'error'

interface Logged {
  level: Level
  message: string
}

const LEVELS: readonly Level[] = ['warn', 'error']
const logged: Logged[] = []
const originals = new Map<Level, (...args: unknown[]) => void>()

/** Replaces `console.warn` and `console.error` with recorders (a plain assignment, so no mock reset undoes it). */
export function captureConsole(): void {
  for (const level of LEVELS) {
    originals.set(level, console[level])
    console[level] = (...args: unknown[]) => {
      logged.push({ level, message: format(...args) })
    }
  }
}

export function releaseConsole(): void {
  for (const [level, original] of originals) console[level] = original
  originals.clear()
}

/** Removes and returns what was logged and not yet claimed by `expectWarning`/`expectError`. */
export function takeUnexpected(): string[] {
  return logged.splice(0).map(({ level, message }) => `console.${level}: ${message}`)
}

function expectLogged(level: Level, pattern: RegExp): string {
  const index = logged.findIndex((entry) => entry.level === level && pattern.test(entry.message))
  const found = index < 0 ? undefined : logged.splice(index, 1)[0]
  if (!found) {
    const seen = logged.map((entry) => `  console.${entry.level}: ${entry.message}`).join('\n') || '  nothing'
    throw new Error(`expected a console.${level} matching ${String(pattern)}; logged and unclaimed:\n${seen}`)
  }
  return found.message
}

/** Asserts that a `console.warn` matching `pattern` was logged, claims it, and returns its text. */
export function expectWarning(pattern: RegExp): string {
  return expectLogged('warn', pattern)
}

/** Asserts that a `console.error` matching `pattern` was logged, claims it, and returns its text. */
export function expectError(pattern: RegExp): string {
  return expectLogged('error', pattern)
}
