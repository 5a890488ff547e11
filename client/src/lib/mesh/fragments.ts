/**
 * Room messages larger than one WebRTC data-channel message. Chromium refuses to send a message over its
 * `max-message-size` (256 KiB: `send` throws "Trying to send message larger than max-message-size"), and a
 * room's hello can be larger — 200 chat messages of up to 2000 characters, a playlist, a `.torrent` of up to
 * 512 KiB — as can a `meta` message. Such a send throws, so the session would take the data channel for dead
 * and the member fall back to the relay or lose the message. So the session cuts a long text into fragments
 * that each fit, and the other side puts them back together; short messages go as they are.
 *
 * A fragment is text that no room message starts with (they are JSON objects):
 * `\u001e<id>/<index>/<count>\n<part>`. The channel is ordered, and a message's fragments are sent one after
 * the other, so a receiver keeps one message in progress: a fragment of another message, or out of order,
 * drops what it had.
 */

/** Code units per fragment: at most 3 bytes each in UTF-8, so 180 KB plus the header, under 256 KiB. */
export const FRAGMENT_CHARS = 60_000
/** The most fragments one message may have: bounds what a member can make us hold (1.9 M code units). */
export const MAX_FRAGMENTS = 32

const MARK = '\u001e'
const NUMBER = /^\d{1,9}$/

/** `data` as the texts to send: itself when it fits, else its fragments (never splitting a surrogate pair). */
export function fragment(data: string, id: number, size = FRAGMENT_CHARS): string[] {
  if (data.length <= size && !data.startsWith(MARK)) return [data]
  const parts: string[] = []
  for (let at = 0; at < data.length;) {
    let end = Math.min(data.length, at + size)
    // A high surrogate at the cut goes with its low half into the next part.
    if (end < data.length && isHighSurrogate(data.charCodeAt(end - 1))) end--
    parts.push(data.slice(at, end))
    at = end
  }
  return parts.map((part, index) => `${MARK}${id}/${index}/${parts.length}\n${part}`)
}

/** Puts fragments back together; one message at a time, as the channel is ordered. */
export class Reassembler {
  #id = -1
  #parts: string[] = []
  #count = 0

  /**
   * A received text: the whole message when it is one (or its last fragment came), null while one is in
   * progress or when a fragment made no sense (then what was in progress is dropped).
   */
  push(text: string): string | null {
    if (!text.startsWith(MARK)) return text
    const end = text.indexOf('\n')
    const fields = end > 0 ? text.slice(MARK.length, end).split('/') : []
    if (fields.length !== 3 || !fields.every((f) => NUMBER.test(f))) return this.#drop()
    const [id, index, count] = fields.map(Number) as [number, number, number]
    if (count < 1 || count > MAX_FRAGMENTS || index >= count) return this.#drop()
    if (index === 0) {
      this.#id = id
      this.#count = count
      this.#parts = []
    } else if (id !== this.#id || count !== this.#count || index !== this.#parts.length) return this.#drop()
    this.#parts.push(text.slice(end + 1))
    if (this.#parts.length < count) return null
    const whole = this.#parts.join('')
    this.#drop()
    return whole
  }

  #drop(): null {
    this.#id = -1
    this.#parts = []
    this.#count = 0
    return null
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
