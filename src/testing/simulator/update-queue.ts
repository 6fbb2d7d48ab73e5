// The updates Telegram holds for a bot that has no webhook: kept in update_id order until getUpdates confirms
// them, as the Bot API server's queue does (an update is confirmed once getUpdates is called with an offset
// higher than its update_id, and only then forgotten).
import type { Update } from './types'

export class UpdateQueue {
  private updates: Update[] = []
  private listeners: Array<() => void> = []

  /** Unconfirmed updates, oldest first (a 'duplicate' fault's copies side by side). */
  get all(): readonly Update[] {
    return [...this.updates]
  }

  get length(): number {
    return this.updates.length
  }

  /** Distinct updates, for pending_update_count. */
  get distinctCount(): number {
    return new Set(this.updates.map((update) => update.update_id)).size
  }

  /** Called whenever updates are added or forgotten. */
  onChange(listener: () => void): void {
    this.listeners.push(listener)
  }

  /**
   * Adds an update in update_id order. An update that comes back from a webhook that was removed may be older
   * than some already here; ordered, an offset that confirms the newer ones cannot skip it unseen.
   */
  add(update: Update, copies = 1): void {
    let index = this.updates.length
    while (index > 0 && this.updates[index - 1]!.update_id > update.update_id) index--
    this.updates.splice(index, 0, ...Array.from({ length: copies }, () => update))
    this.changed()
  }

  /** Takes every update out (for a webhook that was just set). */
  takeAll(): Update[] {
    const taken = this.updates.splice(0)
    if (taken.length > 0) this.changed()
    return taken
  }

  clear(): void {
    this.takeAll()
  }

  /**
   * getUpdates' reading: a positive offset confirms (forgets) every update below it; a negative one keeps only
   * the last -offset updates ("All previous updates will be forgotten"); 0 or none confirms nothing. Then the
   * first `limit` updates left are the answer. They stay until a later offset confirms them.
   */
  read(offset: number, limit: number): Update[] {
    const before = this.updates.length
    if (offset > 0) this.updates = this.updates.filter((update) => update.update_id >= offset)
    else if (offset < 0) this.updates = this.updates.slice(Math.max(0, this.updates.length + offset))
    if (this.updates.length !== before) this.changed()
    return this.updates.slice(0, limit)
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }
}
