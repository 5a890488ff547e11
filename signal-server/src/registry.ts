/**
 * Who is interested in which document: a pure data structure, no sockets. Both directions are
 * indexed, so a Join costs O(peers in the joined documents × shared ids), never O(all peers).
 */
export type Introductions = Map<string, string[]>

export class JoinLimitError extends Error {
  readonly code = 'too-many-documents'
}

export class Registry {
  readonly #documentsByPeer = new Map<string, Set<string>>()
  readonly #peersByDocument = new Map<string, Set<string>>()
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

  documentsOf(peerId: string): ReadonlySet<string> {
    return this.#documentsByPeer.get(peerId) ?? new Set()
  }

  /**
   * Add interests and return the introductions due: for every other peer in any of the joined
   * documents, every document id the two now share (as relay does, a repeated Join re-introduces).
   * All or nothing: a Join that would exceed the per-peer cap changes nothing and throws.
   */
  join(peerId: string, documentIds: readonly string[]): Introductions {
    const mine = this.#documentsByPeer.get(peerId) ?? new Set<string>()
    const added = documentIds.filter((id) => !mine.has(id))
    if (mine.size + new Set(added).size > this.maxDocumentsPerPeer) {
      throw new JoinLimitError(`a peer may join at most ${this.maxDocumentsPerPeer} documents`)
    }
    this.#documentsByPeer.set(peerId, mine)
    for (const id of added) {
      mine.add(id)
      let peers = this.#peersByDocument.get(id)
      if (!peers) this.#peersByDocument.set(id, (peers = new Set()))
      peers.add(peerId)
    }
    const introductions: Introductions = new Map()
    for (const id of new Set(documentIds)) {
      for (const other of this.#peersByDocument.get(id) ?? []) {
        if (other === peerId || introductions.has(other)) continue
        introductions.set(other, this.#shared(mine, this.#documentsByPeer.get(other)))
      }
    }
    return introductions
  }

  leave(peerId: string, documentIds: readonly string[]): void {
    const mine = this.#documentsByPeer.get(peerId)
    if (!mine) return
    for (const id of documentIds) {
      if (!mine.delete(id)) continue
      const peers = this.#peersByDocument.get(id)
      peers?.delete(peerId)
      if (peers?.size === 0) this.#peersByDocument.delete(id)
    }
  }

  /** Forget a peer entirely (its socket closed). */
  remove(peerId: string): void {
    const mine = this.#documentsByPeer.get(peerId)
    if (!mine) return
    this.leave(peerId, [...mine])
    this.#documentsByPeer.delete(peerId)
  }

  #shared(a: ReadonlySet<string>, b: ReadonlySet<string> | undefined): string[] {
    if (!b) return []
    const [small, large] = a.size <= b.size ? [a, b] : [b, a]
    return [...small].filter((id) => large.has(id))
  }
}
