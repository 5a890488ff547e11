import { boundTime } from '../wire/time.ts'
import { CHAT_HISTORY_LIMIT, MAX_CHAT_LENGTH, type HistoryEntry } from './protocol.ts'

/**
 * The author's signature on a chat line: the name and time it signed, its public key, the signature. The
 * signed time travels on in history even where a receiver shows the line at its arrival time (wire/time.ts).
 */
export interface ChatSignature {
  name: string
  at: number
  pub: string
  sig: string
}

export type ChatEntry =
  | {
      kind: 'chat'
      id: string
      from: string
      name: string
      text: string
      at: number
      signature: ChatSignature
    }
  | { kind: 'notice'; id: string; text: string; at: number }

/** Entries kept on screen: the history limit plus room for notices. */
const CHAT_DISPLAY_LIMIT = CHAT_HISTORY_LIMIT * 2

/** The text to send, or null when there is nothing (or too much) to send. */
export function chatText(input: string): string | null {
  const text = input.trim()
  return text.length > 0 && text.length <= MAX_CHAT_LENGTH ? text : null
}

/** The last messages for a newcomer's snapshot (notices are each member's own view, not history). */
export function chatHistory(entries: readonly ChatEntry[]): HistoryEntry[] {
  const chat: HistoryEntry[] = []
  for (const entry of entries) {
    if (entry.kind !== 'chat') continue
    const { id, from, text, signature } = entry
    const { name, at, pub, sig } = signature
    chat.push({ id, from, name, text, at, pub, sig })
  }
  return chat.slice(-CHAT_HISTORY_LIMIT)
}

/**
 * Merge a snapshot's (verified) history into what we have: each message once, in time order, each shown at
 * its signed time when that is within a day of `now`, else at `now` (wire/time.ts).
 */
export function mergeHistory(
  entries: readonly ChatEntry[],
  history: readonly HistoryEntry[],
  now: number,
): ChatEntry[] {
  const known = new Set(entries.map((entry) => entry.id))
  const added = history
    .filter((entry) => !known.has(entry.id))
    .map(({ pub, sig, ...entry }) => ({
      kind: 'chat' as const,
      ...entry,
      at: boundTime(entry.at, now),
      signature: { name: entry.name, at: entry.at, pub, sig },
    }))
  if (added.length === 0) return [...entries]
  return [...entries, ...added].sort((a, b) => a.at - b.at).slice(-CHAT_DISPLAY_LIMIT)
}

export function appendEntry(entries: readonly ChatEntry[], entry: ChatEntry): ChatEntry[] {
  if (entries.some((existing) => existing.id === entry.id)) return [...entries]
  return [...entries, entry].slice(-CHAT_DISPLAY_LIMIT)
}
