/**
 * Who is interested in which document: a pure data structure, no sockets. Both directions are
 * indexed, so a Join costs O(peers in the joined documents × shared ids), never O(all peers).
 */
import { csAdd, csDelete, csHas, csSize, csValues, type CompactSet } from './compact-set.ts'

export type Introductions = Map<string, string[]>

export class JoinLimitError extends Error {
  readonly code = 'too-many-documents'
}

export class Registry {
  readonly #documentsByPeer = new Map<string, CompactSet>()
  readonly #peersByDocument = new Map<string, CompactSet>()
  readonly maxDocumentsPerPeer: number

  constructor(maxDocumentsPerPeer: number) {
    this.maxDocumentsPerPeer = maxDocumentsPerPeer
  }

  get peerCount(): number {
    return this.#documentsByPeer.size
  }

  get documentCount(): number {
    return this.#peersByDocument.size
  }

  /** Whether `peerId` has joined `documentId`. */
  has(peerId: string, documentId: string): boolean {
    return csHas(this.#documentsByPeer.get(peerId), documentId)
  }

  /** Whether `peerId` has joined any document. */
  hasJoined(peerId: string): boolean {
    return csSize(this.#documentsByPeer.get(peerId)) > 0
  }

  documentsOf(peerId: string): ReadonlySet<string> {
    return new Set(csValues(this.#documentsByPeer.get(peerId)))
  }

  /**
   * Add interests and return the introductions due: for every other peer in any of the joined
   * documents, every document id the two now share (as relay does, a repeated Join re-introduces).
   * All or nothing: a Join that would exceed the per-peer cap changes nothing and throws.
   */
  join(peerId: string, documentIds: readonly string[]): Introductions {
    let mine = this.#documentsByPeer.get(peerId)
    const added = [...new Set(documentIds)].filter((id) => !csHas(mine, id))
    if (csSize(mine) + added.length > this.maxDocumentsPerPeer) {
      throw new JoinLimitError(`a peer may join at most ${this.maxDocumentsPerPeer} documents`)
    }
    for (const id of added) {
      mine = csAdd(mine, id)
      this.#peersByDocument.set(id, csAdd(this.#peersByDocument.get(id), peerId))
    }
    if (mine !== undefined) this.#documentsByPeer.set(peerId, mine)
    const introductions: Introductions = new Map()
    for (const id of new Set(documentIds)) {
      for (const other of csValues(this.#peersByDocument.get(id))) {
        if (other === peerId || introductions.has(other)) continue
        introductions.set(other, this.#shared(mine, this.#documentsByPeer.get(other)))
      }
    }
    return introductions
  }

  leave(peerId: string, documentIds: readonly string[]): void {
    let mine = this.#documentsByPeer.get(peerId)
    if (mine === undefined) return
    for (const id of documentIds) {
      if (!csHas(mine, id)) continue
      mine = csDelete(mine, id)
      const peers = csDelete(this.#peersByDocument.get(id), peerId)
      if (peers === undefined) this.#peersByDocument.delete(id)
      else this.#peersByDocument.set(id, peers)
    }
    // A peer that left everything stays known (with no documents) until it is removed.
    this.#documentsByPeer.set(peerId, mine ?? [])
  }

  /** Forget a peer entirely (its socket closed). */
  remove(peerId: string): void {
    const mine = this.#documentsByPeer.get(peerId)
    if (mine === undefined) return
    this.leave(peerId, csValues(mine))
    this.#documentsByPeer.delete(peerId)
  }

  #shared(a: CompactSet | undefined, b: CompactSet | undefined): string[] {
    const [small, large] = csSize(a) <= csSize(b) ? [a, b] : [b, a]
    return csValues(small).filter((id) => csHas(large, id))
  }
}
