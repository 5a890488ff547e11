/** Who is in a test room, as reactive state the way the room's member list is. */
export class Members {
  list = $state.raw<{ id: string; name: string }[]>([])

  constructor(ids: readonly string[]) {
    this.set(ids)
  }

  set(ids: readonly string[]): void {
    this.list = ids.map((id) => ({ id, name: id.toUpperCase() }))
  }
}
