/**
 * Room tests' members: a real Ed25519 key pair per label (peer ids are their keys' hashes, so they are only
 * known once made), and a flush that waits for the rooms' chat signatures and checks.
 */
import { beforeAll } from 'vitest'
import type { Signer } from '../../src/lib/mesh/signing.ts'
import type { Room } from '../../src/lib/room/room.svelte.ts'
import { settle, testMembers } from '../mesh/fakes.ts'

/** Peer ids by label and signers by peer id, filled in before the file's tests run (in label order). */
export function signedMembers<L extends string>(
  labels: readonly L[],
): { id: Record<L, string>; signers: Map<string, Signer> } {
  const id = Object.fromEntries(labels.map((label) => [label, ''])) as Record<L, string>
  const signers = new Map<string, Signer>()
  beforeAll(async () => {
    const members = await testMembers(labels.length)
    labels.forEach((label, index) => {
      id[label] = members[index]!.id
      signers.set(members[index]!.id, members[index]!.signer)
    })
  })
  return { id, signers }
}

/** Deliver what is in flight, and wait for every room's chat and authority signatures and checks. */
export async function flushRooms(rooms: readonly Room[]): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await settle()
    await Promise.all(rooms.flatMap((room) => [room.chatSettled(), room.authoritySettled()]))
  }
}
