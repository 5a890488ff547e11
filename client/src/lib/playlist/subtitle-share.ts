/**
 * Subtitle files dropped for an item, shared with the room (the `subtitles` feature). A person drops a lone
 * `.srt`/`.vtt` while an item plays; it is converted to WebVTT here (media/subtitles.ts) and sent to everyone
 * over the room wire: a subtitle file is small, so it needs no torrent. A newcomer gets the subtitles of the
 * items in the playlist from the longest-present member, one message each (a snapshot holding them all could
 * pass the room's message limit).
 *
 * Who may add: whoever may edit the playlist (the host's lock applies). What arrives is checked
 * (playlist/subtitle-wire.ts) and converted again, so only WebVTT text reaches a `<track>`.
 */
import type { FeatureHandle, FeatureHost } from '../room/feature.ts'
import { randomId } from '../random.ts'
import { MAX_SUBTITLE_NAME, MAX_VTT_CHARS, parseSubtitleMessage } from './subtitle-wire.ts'
import { decodeSubtitleBytes, subtitleLabel, toWebVtt } from '../media/subtitles.ts'

export const SUBTITLES_FEATURE = 'subtitles'
/** Per item; the oldest goes when a newer one comes. */
export const MAX_SUBTITLES_PER_ITEM = 4
/** A subtitle file larger than this is not a subtitle file. */
export const MAX_SUBTITLE_FILE_BYTES = 1024 * 1024

export interface SharedSubtitle {
  id: string
  name: string
  label: string
  language: string | undefined
  vtt: string
}

export type ShareResult = { ok: true } | { ok: false; error: string }

export class SubtitleShare {
  readonly #room: FeatureHost
  readonly #handle: FeatureHandle
  readonly #onChange: (itemId: string) => void
  readonly #byItem = new Map<string, SharedSubtitle[]>()

  constructor(room: FeatureHost, onChange: (itemId: string) => void) {
    this.#room = room
    this.#onChange = onChange
    this.#handle = room.registerFeature(SUBTITLES_FEATURE, {
      onMessage: (from, raw) => this.#onMessage(from, raw),
      onMemberJoined: (peerId) => this.#welcome(peerId),
    })
  }

  /** The subtitles members dropped for an item, oldest first. */
  of(itemId: string): readonly SharedSubtitle[] {
    return this.#byItem.get(itemId) ?? []
  }

  /** Reads a dropped subtitle file, converts it and sends it to everyone for `itemId`. */
  async share(itemId: string, file: File): Promise<ShareResult> {
    if (file.size > MAX_SUBTITLE_FILE_BYTES)
      return { ok: false, error: `${file.name} is too large for a subtitle file.` }
    const vtt = toWebVtt(decodeSubtitleBytes(new Uint8Array(await file.arrayBuffer())))
    if (vtt.length > MAX_VTT_CHARS)
      return { ok: false, error: `${file.name} is too large for a subtitle file.` }
    if (!/-->/.test(vtt)) return { ok: false, error: `${file.name} has no subtitles in it.` }
    const message = {
      t: 'add' as const,
      itemId,
      id: randomId(),
      name: file.name.slice(0, MAX_SUBTITLE_NAME),
      vtt,
    }
    this.#add(itemId, message.id, message.name, vtt)
    this.#handle.send(message)
    return { ok: true }
  }

  /** Forgets the subtitles of items no longer in the playlist. */
  keepOnly(itemIds: ReadonlySet<string>): void {
    for (const itemId of [...this.#byItem.keys()]) if (!itemIds.has(itemId)) this.#byItem.delete(itemId)
  }

  destroy(): void {
    this.#handle.unregister()
    this.#byItem.clear()
  }

  #onMessage(from: string, raw: unknown): void {
    const parsed = parseSubtitleMessage(raw)
    if (!parsed.ok) return console.warn(`subtitles: ignored a message from ${from}: ${parsed.error.message}`)
    const { itemId, id, name, vtt } = parsed.value
    if (!this.#room.canControlPlayback(from))
      return console.warn(`subtitles: ignored ${name} from ${from}: the host has locked the controls`)
    this.#add(itemId, id, name, toWebVtt(vtt))
  }

  #add(itemId: string, id: string, name: string, vtt: string): void {
    const list = this.#byItem.get(itemId) ?? []
    if (list.some((s) => s.id === id)) return
    const { label, language } = subtitleLabel(name)
    const next = [...list, { id, name, label, language, vtt }].slice(-MAX_SUBTITLES_PER_ITEM)
    this.#byItem.set(itemId, next)
    this.#onChange(itemId)
  }

  /** The longest-present member other than the newcomer sends it every subtitle, one message each. */
  #welcome(peerId: string): void {
    const sender = this.#room.memberList.find((m) => m.id !== peerId)
    if (sender?.id !== this.#room.selfId) return
    for (const [itemId, list] of this.#byItem)
      for (const { id, name, vtt } of list) this.#handle.send({ t: 'add', itemId, id, name, vtt }, peerId)
  }
}
