/**
 * A minimal bencode decoder for `.torrent` files. We do not use `parse-torrent` in the browser: it imports
 * Node's `path`, which Vite replaces with an empty stub, and it hashes a *re-encoded* info dictionary, which
 * gives the wrong info hash for a torrent whose dictionary was not written in canonical order. This decoder
 * records where the `info` dictionary's bytes sit, so the hash is taken over exactly what the file holds.
 */

export type BValue = number | Uint8Array | BValue[] | BDict
export interface BDict {
  [key: string]: BValue
}

export interface Decoded {
  value: BValue
  /** Byte range [start, end) of the top-level dictionary's `info` value, if it has one. */
  infoSpan: [number, number] | null
}

/** Thrown only inside this module; `decodeBencode` turns it into a returned error. */
class BencodeError extends Error {}

const MAX_DEPTH = 64
const utf8 = new TextDecoder('utf-8')
const D = 0x64 // 'd'
const L = 0x6c // 'l'
const I = 0x69 // 'i'
const E = 0x65 // 'e'
const COLON = 0x3a

/** Decodes one bencoded value covering all of `bytes`; returns a message instead of throwing. */
export function decodeBencode(
  bytes: Uint8Array,
): { ok: true; decoded: Decoded } | { ok: false; reason: string } {
  const reader = new Reader(bytes)
  try {
    const value = reader.value(0)
    if (reader.pos !== bytes.length) throw new BencodeError(`trailing bytes at ${reader.pos}`)
    return { ok: true, decoded: { value, infoSpan: reader.infoSpan } }
  } catch (err) {
    if (err instanceof BencodeError) return { ok: false, reason: err.message }
    throw err
  }
}

class Reader {
  pos = 0
  infoSpan: [number, number] | null = null
  readonly #bytes: Uint8Array

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  value(depth: number): BValue {
    if (depth > MAX_DEPTH) throw new BencodeError('nested too deeply')
    const c = this.#peek()
    if (c === I) return this.#integer()
    if (c === L) return this.#list(depth)
    if (c === D) return this.#dict(depth)
    if (c >= 0x30 && c <= 0x39) return this.#string()
    throw new BencodeError(`unexpected byte ${c} at ${this.pos}`)
  }

  #peek(): number {
    const c = this.#bytes[this.pos]
    if (c === undefined) throw new BencodeError('unexpected end of data')
    return c
  }

  #until(terminator: number): string {
    const end = this.#bytes.indexOf(terminator, this.pos)
    if (end < 0) throw new BencodeError('unterminated number')
    const text = utf8.decode(this.#bytes.subarray(this.pos, end))
    this.pos = end + 1
    return text
  }

  #integer(): number {
    this.pos++ // 'i'
    const text = this.#until(E)
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new BencodeError(`bad integer "${text.slice(0, 20)}"`)
    const n = Number(text)
    if (!Number.isSafeInteger(n)) throw new BencodeError('integer too large')
    return n
  }

  #string(): Uint8Array {
    const text = this.#until(COLON)
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new BencodeError(`bad string length "${text.slice(0, 20)}"`)
    const length = Number(text)
    if (this.pos + length > this.#bytes.length) throw new BencodeError('string runs past the end')
    const s = this.#bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return s
  }

  #list(depth: number): BValue[] {
    this.pos++ // 'l'
    const items: BValue[] = []
    while (this.#peek() !== E) items.push(this.value(depth + 1))
    this.pos++
    return items
  }

  #dict(depth: number): BDict {
    this.pos++ // 'd'
    // A null prototype: keys such as "__proto__" in a hostile file stay plain data.
    const dict = Object.create(null) as BDict
    while (this.#peek() !== E) {
      const key = utf8.decode(this.#string())
      const start = this.pos
      dict[key] = this.value(depth + 1)
      if (depth === 0 && key === 'info') this.infoSpan = [start, this.pos]
    }
    this.pos++
    return dict
  }
}

export function isDict(v: BValue | undefined): v is BDict {
  return typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v)
}

export function isBytes(v: BValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array
}

export function text(v: BValue | undefined): string | undefined {
  return v instanceof Uint8Array ? utf8.decode(v) : undefined
}
