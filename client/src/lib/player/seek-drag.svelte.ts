/**
 * A seek bar's thumb while the person drags it. During the drag the bar (and the time beside it) shows the
 * thumb, not the playback position, and nothing goes to the room; releasing the thumb sends one seek. The
 * video's own bar and a remote control's bar (RemoteStage) share it.
 */
export class SeekDrag {
  /** The thumb's position, seconds, while dragged; null otherwise. */
  #dragging = $state<number | null>(null)

  get dragging(): boolean {
    return this.#dragging !== null
  }

  /** What the bar shows: the thumb while dragged, else `position`. */
  shown(position: number): number {
    return this.#dragging ?? position
  }

  /** The thumb moved (the range input's `input` event). */
  move(to: number): void {
    this.#dragging = to
  }

  /** The thumb was let go at `to` (the `change` event): one seek there, and the bar follows playback again. */
  release(to: number, seek: (to: number) => void): void {
    seek(to)
    this.#dragging = null
  }
}
