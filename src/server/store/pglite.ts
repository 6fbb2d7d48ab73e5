import { PGlite } from '@electric-sql/pglite'
import type { SqlDriver, SqlExecutor } from './sql'
import { createSqlStore } from './sql-store'
import type { PayStore } from './types'

function pgliteDriver(db: PGlite): SqlDriver {
  const executor = (target: Pick<PGlite, 'query'>): SqlExecutor => ({
    async query(text, params) {
      const result = await target.query(text, params)
      return result.rows as never
    },
  })
  return {
    ...executor(db),
    transaction: (work) => db.transaction((tx) => work(executor(tx))),
    // In process: PGlite delivers NOTIFY to this instance's own listeners after the commit.
    listen: (channel, onPayload) => db.listen(channel, onPayload),
    close: () => db.close(),
  }
}

/**
 * The embedded store: PostgreSQL compiled to WASM, in this process, kept in `dir` (`memory://` keeps
 * it in memory). Nothing to install. One process at a time may open a directory; for several server
 * instances use `postgresStore`.
 */
export function pgliteStore(dir = './.tma-pay'): PayStore {
  const dataDir = dir.startsWith('pglite:') ? dir.slice('pglite:'.length) : dir
  return createSqlStore(PGlite.create(dataDir === 'memory://' ? undefined : dataDir).then(pgliteDriver))
}
