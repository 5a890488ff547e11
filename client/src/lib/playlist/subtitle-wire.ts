/**
 * The `subtitles` feature's wire (playlist/subtitle-share.ts): a subtitle file a member dropped for an item,
 * as WebVTT text. Bounded so one message stays well under the room's message limit (room/protocol.ts).
 */
import * as v from 'valibot'
import { parseWith } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'

/** A long film's subtitles are 50–150 KB of text; the room's messages are at most 1 MB of JSON. */
export const MAX_VTT_CHARS = 300_000
export const MAX_SUBTITLE_NAME = 255

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(160))

const SubtitleMessage = v.object({
  t: v.literal('add'),
  itemId: Id,
  id: Id,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SUBTITLE_NAME)),
  vtt: v.pipe(v.string(), v.maxLength(MAX_VTT_CHARS), v.startsWith('WEBVTT')),
})

export type SubtitleMessage = v.InferOutput<typeof SubtitleMessage>

export function parseSubtitleMessage(raw: unknown): WireResult<SubtitleMessage> {
  return parseWith(SubtitleMessage, raw)
}
