/**
 * Keyboard shortcuts of the room page (the keys YouTube and most players use): which key does what, and
 * when a key is the person typing rather than a shortcut. Pure: the component carries the actions out.
 */
export type ShortcutAction =
  | { kind: 'toggle' }
  | { kind: 'seek-by'; seconds: number }
  | { kind: 'fullscreen' }
  | { kind: 'mute' }
  | { kind: 'focus-chat' }
  | { kind: 'leave-field' }
  | { kind: 'help' }

/** What the help list shows, in order. */
export const SHORTCUTS: ReadonlyArray<{ keys: string; does: string }> = [
  { keys: 'Space or K', does: 'Play or pause, for the room' },
  { keys: '← / →', does: 'Back or forward 5 seconds' },
  { keys: 'J / L', does: 'Back or forward 10 seconds' },
  { keys: 'F', does: 'Fullscreen' },
  { keys: 'M', does: 'Mute or unmute (only you)' },
  { keys: 'C', does: 'Write in the chat' },
  { keys: 'Esc', does: 'Leave the chat, back to the video' },
  { keys: '?', does: 'Show or hide this list' },
]

export interface KeyPress {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
  /** The focused element's tag name (`INPUT`, …) and whether it takes typing. */
  target: { tagName: string; isContentEditable: boolean; type?: string } | null
}

/** Input types that do not take text: keys pressed on them are still shortcuts. */
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'color', 'file'])

/** Whether keys go to a field the person types in (a text input, a text area, a select, editable text). */
export function isTyping(target: KeyPress['target']): boolean {
  if (!target) return false
  if (target.isContentEditable) return true
  const tag = target.tagName.toUpperCase()
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  return tag === 'INPUT' && !NON_TEXT_INPUTS.has((target.type ?? 'text').toLowerCase())
}

/** The shortcut a key press means, or null (then the browser does what it would). */
export function shortcutFor(press: KeyPress): ShortcutAction | null {
  if (press.ctrlKey || press.metaKey || press.altKey) return null
  if (isTyping(press.target)) return press.key === 'Escape' ? { kind: 'leave-field' } : null
  switch (press.key) {
    case ' ':
    case 'k':
    case 'K':
      return { kind: 'toggle' }
    case 'ArrowLeft':
      return { kind: 'seek-by', seconds: -5 }
    case 'ArrowRight':
      return { kind: 'seek-by', seconds: 5 }
    case 'j':
    case 'J':
      return { kind: 'seek-by', seconds: -10 }
    case 'l':
    case 'L':
      return { kind: 'seek-by', seconds: 10 }
    case 'f':
    case 'F':
      return { kind: 'fullscreen' }
    case 'm':
    case 'M':
      return { kind: 'mute' }
    case 'c':
    case 'C':
      return { kind: 'focus-chat' }
    case 'Escape':
      return { kind: 'leave-field' }
    case '?':
      return { kind: 'help' }
    default:
      return null
  }
}
