import type { PGlite } from '@electric-sql/pglite'
import { lockDataDir } from './dir-lock'
import { pgliteWire } from './pglite-wire'
import type { SqlDriver } from './sql'
import { createSqlStore } from './sql-store'
import type { PayStore } from './types'

type PgliteModule = typeof import('@electric-sql/pglite')

function driverOn(db: PGlite, pglite: PgliteModule, release: () => void = () => {}): SqlDriver {
  const wire = pgliteWire(db, pglite)
  // One unit of work at a time, as PGlite's own query and transaction hold it; synced to disk when it is done.
  const exclusive = <T>(work: () => Promise<T>) =>
    db.runExclusive(async () => {
      const result = await work()
      await db.syncToFs()
      return result
    })
  return {
    query: (text, params) => exclusive(() => wire.executor.query(text, params)),
    transaction: (work) =>
      exclusive(async () => {
        await wire.command('BEGIN')
        let result: Awaited<ReturnType<typeof work>>
        try {
          result = await work(wire.executor)
        } catch (error) {
          await wire.command('ROLLBACK').catch(() => {})
          throw error
        }
        // COMMIT of a transaction a failed statement aborted rolls it back instead.
        if ((await wire.command('COMMIT')) === 'ROLLBACK')
          throw new Error('The transaction was rolled back: one of its statements failed.')
        return result
      }),
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
async function openPglite(dataDir?: string, release?: () => void): Promise<SqlDriver> {
  let module: PgliteModule
  try {
    module = await import('@electric-sql/pglite')
  } catch (cause) {
    throw new Error(
      'The embedded store needs PGlite: npm install @electric-sql/pglite (or use postgresStore(url), `--store postgres://...`).',
      { cause },
    )
  }
  return driverOn(await module.PGlite.create(dataDir), module, release)
}

async function openLocked(dataDir: string): Promise<SqlDriver> {
  const release = lockDataDir(dataDir)
  try {
    return await openPglite(dataDir, release)
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
  return dataDir === 'memory://' ? openPglite() : openLocked(dataDir)
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
