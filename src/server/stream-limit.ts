import { PayError } from '../core/errors'

/**
 * How many order streams each user holds open on this instance. Each holds a connection and re-reads on every
 * heartbeat, so one user may not hold many: past `max`, a new one is refused with 429 and the client polls.
 */
export function createStreamLimit(max: number) {
  const open = new Map<number, number>()
  return {
    /** Takes a place for the user's new stream; give it back with the returned function once it ends. */
    acquire(userId: number): () => void {
      const count = open.get(userId) ?? 0
      if (count >= max)
        throw new PayError(
          'rate_limited',
          `Too many open order streams (${max}) for this user: close one, or poll GET /orders/:id.`,
        )
      open.set(userId, count + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (open.get(userId) ?? 1) - 1
        if (left > 0) open.set(userId, left)
        else open.delete(userId)
      }
    },
  }
}
