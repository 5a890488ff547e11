/**
 * The room's playback logs, one per playlist item (and file): a new selection starts at 0, paused, on every
 * peer without a message, and a command for the next item that beats the selection is kept for it. The
 * current item's log is always kept; of the others, only the `ITEM_LOGS` most recently touched. Commands are
 * stamped with this member's hybrid logical clock, which every command and snapshot received advances.
 * Times in the logs are shared times in the session's frame: callers convert what arrives in another frame.
 */
import { isEmptyLog, mergeLogs, rebaseLog } from './feature.ts'
import { HLC_ZERO, hlcReceive, type Hlc } from './hlc.ts'
import {
  addCommand,
  createLog,
  issueCommand,
  type Command,
  type CommandBody,
  type IssueContext,
  type PlaybackLog,
} from './timeline.ts'

/** Logs kept for items other than the current one (a command for the next item may beat the selection). */
export const ITEM_LOGS = 4

export class ItemLogs {
  readonly #logs = new Map<string, PlaybackLog>()
  readonly #onCurrent: (log: PlaybackLog) => void
  #item = ''
  #hlc: Hlc = HLC_ZERO

  /** `onCurrent`: the current item's log changed (not called by `select`). */
  constructor(onCurrent: (log: PlaybackLog) => void = () => {}) {
    this.#onCurrent = onCurrent
  }

  /** The current item's key ('' when there is no playlist). */
  get item(): string {
    return this.#item
  }

  /** The current item's log. */
  get current(): PlaybackLog {
    return this.get(this.#item)
  }

  /** No log holds anything yet: no time in any frame. */
  get empty(): boolean {
    return [...this.#logs.values()].every(isEmptyLog)
  }

  select(item: string): void {
    this.#item = item
  }

  /** The item's log; an empty one if we have none. */
  get(item: string): PlaybackLog {
    return this.#logs.get(item) ?? createLog()
  }

  set(item: string, log: PlaybackLog): void {
    this.#logs.delete(item)
    this.#logs.set(item, log) // most recently touched last
    for (const key of this.#logs.keys()) {
      if (this.#logs.size <= ITEM_LOGS + 1) break
      if (key !== this.#item) this.#logs.delete(key)
    }
    if (item === this.#item) this.#onCurrent(log)
  }

  /** The items with a log, least recently touched first. */
  items(): string[] {
    return [...this.#logs.keys()]
  }

  /** Our command for the current item, stamped and added to its log. */
  issue(body: CommandBody, context: Omit<IssueContext, 'hlc'>): Command {
    const { command, hlc } = issueCommand(body, { ...context, hlc: this.#hlc })
    this.#hlc = hlc
    this.set(this.#item, addCommand(this.current, command))
    return command
  }

  /** Advances our clock past a stamp we received; `now`: shared time if known, else the app clock. */
  receiveStamp(stamp: Command['stamp'], now: number): void {
    this.#hlc = hlcReceive(this.#hlc, stamp, now)
  }

  /** Another member's command, already in our frame. */
  add(item: string, command: Command): void {
    this.set(item, addCommand(this.get(item), command))
  }

  /** Another member's log of an item (a newcomer's snapshot), already in our frame. */
  merge(item: string, log: PlaybackLog, now: number): void {
    const newest = log.commands.at(-1)?.stamp ?? log.base.stamp
    if (newest) this.receiveStamp(newest, now)
    this.set(item, mergeLogs(this.get(item), log.base, log.commands))
  }

  /** Every log moves by `deltaMs` (another member's clock became the frame). */
  rebase(deltaMs: number): void {
    // Over a copy: `set` moves each entry to the end, where a live iteration would visit it again, forever.
    for (const [item, log] of [...this.#logs]) this.set(item, rebaseLog(log, deltaMs))
  }

  clear(): void {
    this.#logs.clear()
  }
}
