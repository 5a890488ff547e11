import { describe, expect, it } from 'vitest'
import { ByteWindow } from '../../src/lib/media/byte-window.ts'

/** `length` bytes whose values are their file offsets (mod 256), from `at` on. */
function chunk(at: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (at + i) % 256)
}

describe('ByteWindow', () => {
  it('gives a view into the chunk that holds the bytes, not a copy', () => {
    const window = new ByteWindow()
    const first = chunk(100, 50)
    window.add(first, 100)
    window.add(chunk(150, 50), 150)
    const bytes = window.bytes(110, 20)
    expect([...bytes]).toEqual([...chunk(110, 20)])
    expect(bytes.buffer).toBe(first.buffer)
  })

  it('copies the bytes of a sample that spans several chunks', () => {
    const window = new ByteWindow()
    for (let at = 0; at < 100; at += 10) window.add(chunk(at, 10), at)
    expect([...window.bytes(5, 37)]).toEqual([...chunk(5, 37)])
    expect([...window.bytes(90, 10)]).toEqual([...chunk(90, 10)])
    expect(window.start).toBe(0)
    expect(window.end).toBe(100)
  })

  it('copies bytes into a target at an offset, within one chunk or across several', () => {
    const window = new ByteWindow()
    for (let at = 1000; at < 1100; at += 10) window.add(chunk(at, 10), at)
    const target = new Uint8Array(60).fill(7)
    window.copyTo(1005, 37, target, 3)
    window.copyTo(1091, 4, target, 45)
    window.copyTo(1050, 0, target, 59)
    expect([...target.subarray(0, 3)]).toEqual([7, 7, 7])
    expect([...target.subarray(3, 40)]).toEqual([...chunk(1005, 37)])
    expect([...target.subarray(40, 45)]).toEqual([7, 7, 7, 7, 7])
    expect([...target.subarray(45, 49)]).toEqual([...chunk(1091, 4)])
    expect([...target.subarray(49)]).toEqual(Array(11).fill(7))
    expect(() => window.copyTo(1095, 6, target, 0)).toThrow(RangeError)
    expect(() => window.copyTo(999, 2, target, 0)).toThrow(RangeError)
  })

  it('starts over when a chunk does not follow what it holds', () => {
    const window = new ByteWindow()
    window.add(chunk(0, 10), 0)
    window.add(chunk(500, 10), 500)
    expect([window.start, window.end]).toEqual([500, 510])
    expect(() => window.bytes(5, 2)).toThrow(RangeError)
  })

  it('lets go of the bytes before an offset, within its bounds', () => {
    const window = new ByteWindow()
    for (let at = 0; at < 40; at += 10) window.add(chunk(at, 10), at)
    window.dropBefore(25)
    expect([window.start, window.end]).toEqual([25, 40])
    expect([...window.bytes(25, 15)]).toEqual([...chunk(25, 15)])
    expect(() => window.bytes(24, 1)).toThrow(RangeError)
    window.dropBefore(10) // before its start: nothing changes
    expect(window.start).toBe(25)
    window.dropBefore(Infinity)
    expect([window.start, window.end]).toEqual([40, 40])
    window.add(chunk(40, 5), 40)
    expect([...window.bytes(40, 5)]).toEqual([...chunk(40, 5)])
  })

  it('is cleared to a new offset, as a seek restarts the read', () => {
    const window = new ByteWindow()
    window.add(chunk(0, 10), 0)
    window.clear(1000)
    expect([window.start, window.end]).toEqual([1000, 1000])
    window.add(chunk(1000, 4), 1000)
    expect([...window.bytes(1000, 4)]).toEqual([...chunk(1000, 4)])
  })

  it('gives an empty sample, even from an empty window', () => {
    const window = new ByteWindow()
    window.clear(100)
    expect(window.bytes(100, 0).byteLength).toBe(0)
    window.add(chunk(100, 10), 100)
    expect(window.bytes(110, 0).byteLength).toBe(0)
  })

  it('refuses bytes past what it holds', () => {
    const window = new ByteWindow()
    window.add(chunk(0, 10), 0)
    expect(() => window.bytes(5, 6)).toThrow(RangeError)
    expect(() => window.bytes(0, -1)).toThrow(RangeError)
  })
})
