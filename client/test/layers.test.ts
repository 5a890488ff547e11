import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** The client's folders, bottom up (docs/architecture.md): each imports only from folders before it. */
const LAYERS = [
  'wire',
  'signaling',
  'mesh',
  'room',
  'invite',
  'call',
  'media',
  'playlist',
  'torrent',
  'sync',
  'player',
  'stream',
  'testing',
  'app',
]

const LIB = fileURLToPath(new URL('../src/lib/', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.ts$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  )
}

/** The folders of lib/ a file's relative imports reach (files at the top of lib/ are shared by all). */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const folders = new Set<string>()
  for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = relative(LIB, join(file, '..', spec!))
    const [folder, rest] = target.split('/', 2)
    if (rest !== undefined && folder) folders.add(folder)
  }
  return [...folders]
}

describe('layers', () => {
  it('every folder of lib/ is a known layer', () => {
    const folders = readdirSync(LIB, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    expect(folders.filter((folder) => !LAYERS.includes(folder))).toEqual([])
  })

  it('no folder imports from a layer above it', () => {
    const upward: string[] = []
    for (const file of sources(LIB)) {
      const own = relative(LIB, file).split('/')[0]!
      const level = LAYERS.indexOf(own)
      if (level < 0) continue
      for (const folder of importedFolders(file))
        if (LAYERS.indexOf(folder) > level) upward.push(`${relative(LIB, file)} → ${folder}/`)
    }
    expect(upward).toEqual([])
  })
})
