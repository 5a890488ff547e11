import { describe, expect, it } from 'vitest'
import { SeekDrag } from '../../src/lib/player/seek-drag.svelte.ts'

describe('SeekDrag', () => {
  it('shows the playback position while nobody drags', () => {
    const drag = new SeekDrag()
    expect(drag.dragging).toBe(false)
    expect(drag.shown(12.5)).toBe(12.5)
  })

  it('shows the thumb during a drag and seeks nowhere until it is let go', () => {
    const drag = new SeekDrag()
    const seeks: number[] = []
    drag.move(40)
    drag.move(55)
    expect(drag.dragging).toBe(true)
    expect(drag.shown(12.5)).toBe(55)
    expect(seeks).toEqual([])
    drag.release(60, (to) => seeks.push(to))
    expect(seeks).toEqual([60])
    expect(drag.dragging).toBe(false)
    expect(drag.shown(13)).toBe(13)
  })
})
