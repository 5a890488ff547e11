/**
 * Bytes read in file order and not yet used, kept as the chunks they arrived in (media/mse-mp4.ts). Joining
 * each chunk onto what was left copied every byte once more on a page busy with a film, and a file whose tracks
 * sit far apart grew the joined window quadratically; here a sample is a view into its chunk, and only a
 * sample that spans two chunks is copied.
 */
export class ByteWindow {
  /** The chunks, and the file offset each starts at. */
  #chunks: Uint8Array[] = []
  #starts: number[] = []
  #start = 0
  #end = 0

  /** The file offset of the first byte held. */
  get start(): number {
    return this.#start
  }

  /** The file offset past the last byte held. */
  get end(): number {
    return this.#end
  }

  /** Adds `chunk`, read at file offset `at`; unless it follows what is held, the window starts over there. */
  add(chunk: Uint8Array, at: number): void {
    if (at !== this.#end || this.#chunks.length === 0) this.clear(at)
    if (chunk.byteLength === 0) return
    this.#chunks.push(chunk)
    this.#starts.push(at)
    this.#end = at + chunk.byteLength
  }

  /** Holds nothing, and the next chunk is expected at `at`. */
  clear(at: number): void {
    this.#chunks = []
    this.#starts = []
    this.#start = at
    this.#end = at
  }

  /**
   * The bytes [offset, offset + size), which must be held: a view into their chunk, or a copy when they span
   * more than one.
   */
  bytes(offset: number, size: number): Uint8Array {
    this.#check(offset, size)
    if (size === 0) return new Uint8Array(0)
    const i = this.#chunkAt(offset)
    const first = this.#chunks[i]!
    const from = offset - this.#starts[i]!
    if (from + size <= first.byteLength) return first.subarray(from, from + size)
    const out = new Uint8Array(size)
    this.copyTo(offset, size, out, 0)
    return out
  }

  #check(offset: number, size: number): void {
    if (offset < this.#start || offset + size > this.#end || size < 0) {
      throw new RangeError(`bytes ${offset}+${size} are outside the window [${this.#start}, ${this.#end})`)
    }
  }

  /**
   * Copies the bytes [offset, offset + size), which must be held, into `target` at `at`: straight from their
   * chunks, with no buffer in between for a span that crosses two.
   */
  copyTo(offset: number, size: number, target: Uint8Array, at: number): void {
    this.#check(offset, size)
    if (size === 0) return
    let i = this.#chunkAt(offset)
    let written = 0
    for (let from = offset - this.#starts[i]!; written < size; i++, from = 0) {
      const part = this.#chunks[i]!.subarray(from, from + size - written)
      target.set(part, at + written)
      written += part.byteLength
    }
  }

  /** Lets go of the bytes before `offset` (kept within the window). */
  dropBefore(offset: number): void {
    const keep = Math.min(Math.max(offset, this.#start), this.#end)
    if (keep === this.#end) return this.clear(keep)
    const i = this.#chunkAt(keep)
    this.#chunks.splice(0, i)
    this.#starts.splice(0, i)
    const cut = keep - this.#starts[0]!
    if (cut > 0) {
      this.#chunks[0] = this.#chunks[0]!.subarray(cut)
      this.#starts[0] = keep
    }
    this.#start = keep
  }

  /** The index of the chunk that holds file offset `offset` (within the window). */
  #chunkAt(offset: number): number {
    let low = 0
    let high = this.#starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.#starts[middle]! <= offset) low = middle
      else high = middle - 1
    }
    return low
  }
}
