import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const BENCHMARKS_DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url))

/**
 * Replace only the `## <heading>` section of docs/benchmarks.md (each bench owns one section), or
 * append it when missing.
 */
export function writeSection(heading: string, section: string, doc = BENCHMARKS_DOC): void {
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n'
  const lines = current.split('\n')
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  let next: string
  if (start === -1) next = `${current.trimEnd()}\n\n${section.trimEnd()}\n`
  else {
    const after = lines.findIndex((line, i) => i > start && /^## /.test(line))
    const rest = after === -1 ? '' : `\n${lines.slice(after).join('\n')}`
    next = `${lines.slice(0, start).join('\n').trimEnd()}\n\n${section.trimEnd()}\n${rest}`
  }
  writeFileSync(doc, next)
}
