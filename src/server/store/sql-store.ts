import { changeQueries } from './changes'
import { entitlementQueries } from './entitlements'
import { idempotencyQueries } from './idempotency'
import { migrate, migrationStatus } from './migrate'
import { orderQueries } from './orders'
import { outboxQueries } from './outbox'
import { paymentQueries } from './payments'
import { refundQueries } from './refunds'
import type { SqlDriver } from './sql'
import type { PayStore } from './types'
import { rowVersions } from './versions'

/**
 * A driver whose connection may still be opening (an embedded database): every call waits for it, and a
 * failed open surfaces on the first call rather than as an unhandled rejection.
 */
function whenOpen(driver: SqlDriver | Promise<SqlDriver>): SqlDriver {
  const ready = Promise.resolve(driver)
  ready.catch(() => {})
  return {
    query: async (text, params) => (await ready).query(text, params),
    transaction: async (work) => (await ready).transaction(work),
    listen: async (channel, onPayload) => (await ready).listen(channel, onPayload),
    // A store that never opened (its database missing, PGlite not installed) has nothing to close: close()
    // resolves, so a server's shutdown does not fail with the error its requests already reported.
    close: async () => {
      const opened = await ready.catch(() => undefined)
      await opened?.close()
    },
  }
}

/** The PayStore over any PostgreSQL connection (PGlite or a server): one query module per concern. */
export function createSqlStore(driver: SqlDriver | Promise<SqlDriver>): PayStore {
  const db = whenOpen(driver)
  // Rows as last read or written, shared by the order and payment queries (see rowVersions).
  const versions = rowVersions()
  return {
    migrate: () => migrate(db),
    migrationStatus: () => migrationStatus(db),
    ...idempotencyQueries(db),
    ...orderQueries(db, versions),
    ...changeQueries(db),
    ...paymentQueries(db, versions),
    ...refundQueries(db),
    ...outboxQueries(db),
    ...entitlementQueries(db),
    close: () => db.close(),
  }
}
