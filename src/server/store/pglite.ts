import type { PGlite } from '@electric-sql/pglite'
import { lockDataDir } from './dir-lock'
import type { SqlDriver, SqlExecutor } from './sql'
import { createSqlStore } from './sql-store'
import type { PayStore } from './types'

function driverOn(db: PGlite, release: () => void = () => {}): SqlDriver {
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
    close: async () => {
      try {
        await db.close()
      } finally {
        release()
      }
    },
  }
}

/**
 * PGlite (27 MB of WASM) is an optional peer dependency: loaded when an embedded store is opened, so an app on
 * PostgreSQL, or a front end, never installs it.
 */
async function openPglite(dataDir?: string): Promise<PGlite> {
  let module: typeof import('@electric-sql/pglite')
  try {
    module = await import('@electric-sql/pglite')
  } catch (cause) {
    throw new Error(
      'The embedded store needs PGlite: npm install @electric-sql/pglite (or use postgresStore(url), `--store postgres://...`).',
      { cause },
    )
  }
  return module.PGlite.create(dataDir)
}

async function openLocked(dataDir: string): Promise<SqlDriver> {
  const release = lockDataDir(dataDir)
  try {
    return driverOn(await openPglite(dataDir), release)
  } catch (error) {
    release()
    throw error
  }
}

/**
 * PGlite in `dir` (or `memory://`) as the SQL store's driver, for code that runs its own SQL beside the store
 * (the benches). The directory is locked at once, synchronously, as `pgliteStore` locks it.
 */
export function pgliteDriver(dir = './.tma-pay'): Promise<SqlDriver> {
  const dataDir = dir.startsWith('pglite:') ? dir.slice('pglite:'.length) : dir
  return dataDir === 'memory://' ? openPglite().then((db) => driverOn(db)) : openLocked(dataDir)
}

/**
 * The embedded store: PostgreSQL compiled to WASM, in this process, kept in `dir` (`memory://` keeps
 * it in memory). Needs `@electric-sql/pglite` installed beside tma-pay. One process at a time may open a
 * directory: a second store on it fails (its first call rejects) with a message naming the process that has
 * it, until that store is closed or its process is gone. For several server instances use `postgresStore`.
 */
export function pgliteStore(dir = './.tma-pay'): PayStore {
  // The lock is taken now, synchronously: of two stores opened on one directory, the first wins.
  return createSqlStore(pgliteDriver(dir))
}
