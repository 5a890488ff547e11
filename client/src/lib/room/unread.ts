import type { ChatEntry } from './chat.ts'

/**
 * Unread chat while the tab is hidden, for the title: "(2) Theatron". Counts the other members' lines
 * after the last one the person could see; the chat keeps a bounded list, so a last-seen line that has
 * scrolled out means everything shown is new.
 */
export function unreadSince(
  entries: readonly ChatEntry[],
  lastSeenId: string | null,
  selfId: string,
): number {
  const start = lastSeenId === null ? 0 : entries.findIndex((entry) => entry.id === lastSeenId) + 1
  let count = 0
  for (const entry of entries.slice(start)) if (entry.kind === 'chat' && entry.from !== selfId) count++
  return count
}

export function titleWithUnread(base: string, unread: number): string {
  return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base
}
