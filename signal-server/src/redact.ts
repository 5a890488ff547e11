/**
 * What the logs may say about a document id: a short keyed hash. Document ids are what the server
 * learns of a room, and anyone holding one can join it, so they never appear in logs. The key is
 * random per process: within one run the same document shows the same tag (an operator can follow one
 * pipe through the log), while a tag cannot be matched against guessed ids or other runs' logs.
 */
import { createHmac, randomBytes } from 'node:crypto'

const KEY = randomBytes(32)

export function documentTag(documentId: string): string {
  return createHmac('sha256', KEY).update(documentId).digest('base64url').slice(0, 10)
}
