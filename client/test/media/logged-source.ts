import { readFileSync } from 'node:fs'
import type { ByteSource } from '../../src/lib/media/feed.ts'

/** A file of client/test/media/fixtures. */
export const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))

/**
 * A file's bytes in chunks of `chunk` bytes, logging each read started and each read ended, and with `chunks`,
 * each chunk handed over (`chunk <position>`).
 */
export function loggedSource(bytes: Uint8Array, { chunk = 4096, chunks = false } = {}) {
  const log: string[] = []
  const source: ByteSource = {
    length: bytes.length,
    has: () => true,
    read(start, end = bytes.length - 1) {
      log.push(`read ${start}`)
      let at = start
      return {
        next: () => {
          if (at > end) return Promise.resolve({ done: true, value: undefined })
          const value = bytes.slice(at, Math.min(end + 1, at + chunk))
          if (chunks) log.push(`chunk ${at}`)
          at += value.length
          return Promise.resolve({ done: false, value })
        },
        return: () => {
          log.push(`end ${start}`)
          at = end + 1
          return Promise.resolve({ done: true, value: undefined })
        },
      }
    },
  }
  return { source, log }
}
