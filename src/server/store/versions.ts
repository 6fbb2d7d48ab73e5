import type { Row } from './rows'

/** How many rows are remembered for a change that may follow. */
const REMEMBERED_ROWS = 1000

/** An order's row as this store last read or wrote it, with its version: the row's xmin, new with every update. */
export interface RowVersion {
  row: Row
  version: string
}

/**
 * The order rows this store read or wrote last, with their versions, by order id. A change that follows (a
 * pre-checkout's approval after its read, the payment after that approval, an expiry) can then be one statement
 * that writes only while the row is still that version (`where xmin = $version`), instead of a transaction that
 * locks the row and reads it again. A stale entry costs nothing but that try: the statement writes nothing, and
 * the change takes the locked path. Bounded: the oldest entries go first.
 */
export function rowVersions() {
  const rows = new Map<string, RowVersion>()
  return {
    remember(row: Row, version: string) {
      const id = String(row.id)
      rows.delete(id)
      rows.set(id, { row, version })
      if (rows.size > REMEMBERED_ROWS) rows.delete(rows.keys().next().value!)
    },
    /** The order's row as last seen, forgotten once taken (the change made with it remembers the next). */
    take(orderId: string): RowVersion | undefined {
      const entry = rows.get(orderId)
      rows.delete(orderId)
      return entry
    },
  }
}

export type RowVersions = ReturnType<typeof rowVersions>
