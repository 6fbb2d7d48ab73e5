import postgres from 'postgres'
import type { NoticeRow, SqlDriver, SqlExecutor } from './sql'
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
  // This process's listeners, per channel: a NOTIFY made here reaches them when its statement commits. Through
  // the server it comes back a millisecond or several later (the listening backend has to wake), and again.
  const listeners = new Map<string, Set<(payload: string) => void>>()
  const deliver = (notices: NoticeRow[]) => {
    for (const { tma_pay_channel: channel, tma_pay_notice: payload } of notices)
      if (typeof channel === 'string' && typeof payload === 'string')
        for (const listener of listeners.get(channel) ?? [])
          try {
            listener(payload)
          } catch {
            // A listener's trouble is its own: the write it heard of has committed, and must say so.
          }
  }
  const noticesOf = (rows: NoticeRow[]) => rows.filter((row) => row.tma_pay_notice !== undefined)
  const executor = (
    target: postgres.Sql | postgres.TransactionSql,
    committed: (notices: NoticeRow[]) => void,
  ): SqlExecutor => ({
    async query(text, params = []) {
      const rows = await target.unsafe(text, params as never[], queryOptions)
      if (rows.length > 0 && 'tma_pay_notice' in rows[0]!) committed(noticesOf(rows as NoticeRow[]))
      return rows as never
    },
  })
  return {
    ...executor(sql, deliver),
    async transaction(work) {
      const pending: NoticeRow[] = []
      const result = await sql.begin((tx) => work(executor(tx, (notices) => pending.push(...notices))))
      deliver(pending)
      return result as never
    },
    async listen(channel, onPayload) {
      // postgres.js keeps one connection for LISTEN and re-listens after a reconnect; a NOTIFY sent
      // while it was down is lost, which is why streams also re-check on their heartbeat.
      const { unlisten } = await sql.listen(channel, onPayload)
      const mine = listeners.get(channel) ?? new Set()
      listeners.set(channel, mine)
      mine.add(onPayload)
      return async () => {
        mine.delete(onPayload)
        await unlisten()
      }
    },
    close: () => sql.end({ timeout: 5 }),
  }
}

/** The store on a PostgreSQL server (`postgres://user:pass@host:5432/db`): for several server instances. */
export function postgresStore(url: string, options: PostgresStoreOptions = {}): PayStore {
  return createSqlStore(postgresDriver(url, options))
}
