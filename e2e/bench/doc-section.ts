import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const BENCHMARKS_DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url))

/**
 * Replace only the `## <heading>` section of docs/benchmarks.md (each bench owns one section), or
 * append it when missing. The section's `### ` subsections that the new text does not write itself stay
 * after it: they are dated records written by hand (earlier runs, A/B pairs), which a new run adds to and
 * never replaces.
 */
export function writeSection(heading: string, section: string, doc = BENCHMARKS_DOC): void {
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n'
  writeFileSync(doc, withSection(current, heading, section))
}

/** `current` with its `## <heading>` section replaced by `section`, keeping the subsections `section` lacks. */
export function withSection(current: string, heading: string, section: string): string {
  const lines = current.split('\n')
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  if (start === -1) return `${current.trimEnd()}\n\n${section.trimEnd()}\n`
  const after = lines.findIndex((line, i) => i > start && /^## /.test(line))
  const end = after === -1 ? lines.length : after
  const written = new Set(section.split('\n').filter((line) => /^### /.test(line)))
  const kept = subsections(lines.slice(start + 1, end)).filter((block) => !written.has(block[0]!))
  const old = kept.map((block) => `\n${block.join('\n').trimEnd()}\n`).join('')
  const rest = after === -1 ? '' : `\n${lines.slice(after).join('\n')}`
  return `${lines.slice(0, start).join('\n').trimEnd()}\n\n${section.trimEnd()}\n${old}${rest}`
}

/** The `### ` subsections among a section's lines, each from its heading to the next. */
function subsections(lines: readonly string[]): string[][] {
  const blocks: string[][] = []
  for (const line of lines) {
    if (/^### /.test(line)) blocks.push([line])
    else blocks.at(-1)?.push(line)
  }
  return blocks
}
