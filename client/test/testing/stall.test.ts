import { describe, expect, it } from 'vitest'
import type { PlayerSnapshot } from '../../src/lib/sync/decide.ts'
import type { Player, UserAction } from '../../src/lib/sync/player.ts'
import { StallablePlayer } from '../../src/lib/testing/stall.ts'

class FakePlayer implements Player {
  state: PlayerSnapshot = {
    currentTime: 3,
    paused: false,
    playbackRate: 1,
    readyState: 4,
    seeking: false,
    bufferedAhead: 10,
    duration: 20,
  }
  calls: string[] = []
  snapshot(): PlayerSnapshot {
    return { ...this.state }
  }
  play(): Promise<void> {
    this.calls.push('play')
    this.state.paused = false
    return Promise.resolve()
  }
  pause(): void {
    this.calls.push('pause')
    this.state.paused = true
  }
  seek(position: number): void {
    this.calls.push(`seek ${position}`)
    this.state.currentTime = position
  }
  setRate(rate: number): void {
    this.calls.push(`rate ${rate}`)
  }
  onUserAction(_listener: (action: UserAction) => void): () => void {
    return () => {}
  }
}

describe('StallablePlayer', () => {
  it('starves like a stalled video, then plays on', () => {
    let now = 0
    const inner = new FakePlayer()
    const player = new StallablePlayer(inner, () => now)
    player.stall(1_000)
    expect(inner.calls).toEqual(['pause'])
    expect(player.snapshot()).toMatchObject({ paused: false, readyState: 2, bufferedAhead: 0 })
    now = 500
    expect(player.stalled).toBe(true)
    now = 1_000
    expect(player.snapshot()).toMatchObject({ paused: false, readyState: 4, bufferedAhead: 10 })
    expect(inner.calls).toEqual(['pause', 'play'])
  })

  it('a pause during the stall is kept after it; play only records the wish', async () => {
    let now = 0
    const inner = new FakePlayer()
    const player = new StallablePlayer(inner, () => now)
    player.stall(1_000)
    player.pause()
    expect(player.snapshot().paused).toBe(true)
    await player.play()
    expect(inner.calls).toEqual(['pause', 'pause'])
    player.pause()
    now = 2_000
    expect(player.snapshot().paused).toBe(true)
    expect(inner.calls).not.toContain('play')
  })

  it('passes seeks and rates through', () => {
    const inner = new FakePlayer()
    const player = new StallablePlayer(inner, () => 0)
    player.seek(7)
    player.setRate(1.5)
    expect(inner.calls).toEqual(['seek 7', 'rate 1.5'])
  })
})
