import { getContext, setContext } from 'svelte'
import type { Room } from './room.svelte.ts'

/** Each room page provides its Room to the components below it (a Symbol key per feature). */
const ROOM = Symbol('room')

export function setRoomContext(room: Room): Room {
  return setContext(ROOM, room)
}

export function getRoomContext(): Room {
  const room = getContext<Room | undefined>(ROOM)
  if (!room) throw new Error('getRoomContext() outside a room page')
  return room
}
