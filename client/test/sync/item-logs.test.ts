import { describe, expect, it } from 'vitest'
import { isEmptyLog } from '../../src/lib/sync/feature.ts'
import { compareStamps } from '../../src/lib/sync/hlc.ts'
import { ITEM_LOGS, ItemLogs } from '../../src/lib/sync/item-logs.ts'
import { addCommand, createLog, type Command, type PlaybackLog } from '../../src/lib/sync/timeline.ts'

function play(wall: number, peer: string, effectiveAt: number): Command {
  return { kind: 'play', stamp: { wall, counter: 0, peer }, effectiveAt }
}

const log = (...commands: Command[]): PlaybackLog => commands.reduce(addCommand, createLog())

describe('ItemLogs', () => {
  it('starts empty: the current log is an empty one, paused at 0', () => {
    const logs = new ItemLogs()
    expect(logs.empty).toBe(true)
    expect(isEmptyLog(logs.current)).toBe(true)
    expect(logs.current.timeline.playing).toBe(false)
  })

  it("tells about the current item's log only", () => {
    const seen: PlaybackLog[] = []
    const logs = new ItemLogs((l) => seen.push(l))
    logs.select('x')
    logs.add('y', play(1, 'b', 10))
    expect(seen).toEqual([])
    logs.add('x', play(2, 'b', 20))
    expect(seen).toHaveLength(1)
    expect(seen[0]!.timeline.playing).toBe(true)
    expect(logs.empty).toBe(false)
  })

  it(`keeps the current item and the ${ITEM_LOGS} other items touched last`, () => {
    const logs = new ItemLogs()
    logs.select('current')
    logs.set('current', log(play(1, 'a', 1)))
    for (let i = 0; i < ITEM_LOGS + 3; i++) logs.set(`other${i}`, log(play(10 + i, 'a', 1)))
    const kept = logs.items()
    expect(kept).toHaveLength(ITEM_LOGS + 1)
    expect(kept).toContain('current')
    expect(kept).not.toContain('other0')
    expect(kept).toContain(`other${ITEM_LOGS + 2}`)
  })

  it('rebases every log (and comes back: a host change used to loop forever here)', () => {
    const logs = new ItemLogs()
    logs.select('x')
    logs.add('x', play(1, 'a', 1_000))
    logs.add('y', play(2, 'a', 2_000))
    logs.rebase(500)
    expect(logs.get('x').timeline.at).toBe(1_500)
    expect(logs.get('y').timeline.at).toBe(2_500)
    expect(logs.items()).toEqual(['x', 'y'])
  })

  it('stamps our commands after every stamp it has seen', () => {
    const logs = new ItemLogs()
    const seen = { wall: 5_000, counter: 3, peer: 'b' }
    logs.receiveStamp(seen, 1_000)
    const command = logs.issue({ kind: 'pause' }, { peer: 'a', sharedNow: 1_000, maxRttMs: 0 })
    expect(compareStamps(command.stamp, seen)).toBeGreaterThan(0)
    expect(logs.current.commands).toEqual([command])
  })

  it("merges another member's log and advances past its newest stamp", () => {
    const logs = new ItemLogs()
    logs.merge('', log(play(9_000, 'b', 100)), 1_000)
    expect(logs.current.timeline.playing).toBe(true)
    const command = logs.issue({ kind: 'pause' }, { peer: 'a', sharedNow: 1_000, maxRttMs: 0 })
    expect(command.stamp.wall).toBe(9_000)
  })
})
