import { randomId } from '../random.ts'
import { appendEntry, chatHistory, mergeHistory, type ChatEntry } from './chat.ts'
import type { HistoryEntry } from './protocol.ts'

/** What the chat shows: members' messages and this tab's own notices, reactive for the UI. */
export class ChatLog {
  #entries = $state.raw<ChatEntry[]>([])
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  get entries(): ChatEntry[] {
    return this.#entries
  }

  /** A message, shown once however often it arrives. */
  add(entry: ChatEntry): void {
    this.#entries = appendEntry(this.#entries, entry)
  }

  /** A local notice: not history, not sent. */
  notice(text: string): void {
    this.add({ kind: 'notice', id: `notice:${randomId()}`, text, at: this.#now() })
  }

  /** A member's history from its snapshot, merged in time order. */
  merge(history: readonly HistoryEntry[]): void {
    this.#entries = mergeHistory(this.#entries, history, this.#now())
  }

  /** The recent messages for a newcomer's snapshot. */
  history(): HistoryEntry[] {
    return chatHistory(this.#entries)
  }
}
