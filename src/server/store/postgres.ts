import postgres from 'postgres'
import type { SqlDriver, SqlExecutor } from './sql'
import { createSqlStore } from './sql-store'
import type { PayStore } from './types'

export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  max?: number
  /**
   * Named prepared statements, as postgres.js' tagged queries use by default: each statement is parsed once per
   * connection, then sent as one round trip (unnamed, postgres.js asks for its parameter types first, a second
   * round trip every time). `false` behind a pooler that cannot keep them (PgBouncer in transaction mode before
   * 1.21). Default true.
   */
  prepare?: boolean
}

/** A PostgreSQL server as the SQL store's driver, for code that runs its own SQL beside the store (the benches). */
export function postgresDriver(url: string, options: PostgresStoreOptions = {}): SqlDriver {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
  })
  const queryOptions = { prepare: options.prepare ?? true }
  const executor = (target: postgres.Sql | postgres.TransactionSql): SqlExecutor => ({
    async query(text, params = []) {
      return (await target.unsafe(text, params as never[], queryOptions)) as never
    },
  })
  return {
    ...executor(sql),
    transaction: (work) => sql.begin((tx) => work(executor(tx))) as never,
    async listen(channel, onPayload) {
      // postgres.js keeps one connection for LISTEN and re-listens after a reconnect; a NOTIFY sent
      // while it was down is lost, which is why streams also re-check on their heartbeat.
      const { unlisten } = await sql.listen(channel, onPayload)
      return unlisten
    },
    close: () => sql.end({ timeout: 5 }),
  }
}

/** The store on a PostgreSQL server (`postgres://user:pass@host:5432/db`): for several server instances. */
export function postgresStore(url: string, options: PostgresStoreOptions = {}): PayStore {
  return createSqlStore(postgresDriver(url, options))
}
