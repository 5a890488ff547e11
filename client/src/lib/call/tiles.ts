/**
 * The call as tiles, pure: one per other member who has a camera or microphone on, or who cannot be heard
 * because there is no direct connection (the relay note), in the room's member order. The grid's columns
 * follow the count, so up to seven tiles beside the stage stay readable.
 */
import type { MediaState } from './wire.ts'

/** The call connection with one member, as the tiles need it. */
export type LinkState = 'none' | 'connecting' | 'connected' | 'failed'

/** Why a member's voice cannot reach us, when it cannot. */
export type TileNote = 'relay' | 'no-link' | null

export interface TileMember {
  id: string
  name: string
  /** The room's transport to this member ('relay': over the signal server, no direct WebRTC). */
  transport: string
}

export interface Tile {
  id: string
  name: string
  /** Their camera is on and its picture can reach us. */
  video: boolean
  /** Their microphone is on and its sound can reach us. */
  audio: boolean
  speaking: boolean
  /** Muted here, by this person (only for them). */
  muted: boolean
  note: TileNote
}

export interface TileInputs {
  selfId: string
  members: readonly TileMember[]
  states: ReadonlyMap<string, MediaState>
  links: ReadonlyMap<string, LinkState>
  speaking: ReadonlySet<string>
  muted: ReadonlySet<string>
}

export function callTiles({ selfId, members, states, links, speaking, muted }: TileInputs): Tile[] {
  const tiles: Tile[] = []
  for (const member of members) {
    if (member.id === selfId) continue
    const state = states.get(member.id)
    if (!state || (!state.mic && !state.cam)) continue
    const link = links.get(member.id) ?? 'none'
    const note: TileNote = member.transport === 'relay' ? 'relay' : link === 'failed' ? 'no-link' : null
    const reachable = note === null && link === 'connected'
    tiles.push({
      id: member.id,
      name: member.name,
      video: reachable && state.cam,
      audio: reachable && state.mic,
      speaking: reachable && state.mic && !muted.has(member.id) && speaking.has(member.id),
      muted: muted.has(member.id),
      note,
    })
  }
  return tiles
}

/** Columns of the tile grid for `count` tiles. */
export function tileColumns(count: number): number {
  return count <= 1 ? 1 : count <= 4 ? 2 : 3
}

/** The sentence for a tile's note. */
export function noteSentence(note: Exclude<TileNote, null>): string {
  return note === 'relay'
    ? 'No voice over the relay: there is no direct connection to them.'
    : 'No direct connection for voice and video to them.'
}
