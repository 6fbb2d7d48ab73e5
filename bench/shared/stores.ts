// The stores a bench runs on, one after the other: PGlite always, PostgreSQL when it can be had.
import { type DatabaseServer, pgliteServer, postgresServer } from './databases'
import type { StoreKind } from './flags'
import { makeTempRoot } from './lifecycle'
import { busyBeforeStart } from './machine'
import { writeProductsFile } from './product'
import { progress } from './progress'

export interface SkippedStore {
  store: StoreKind
  label: string
  skipped: string
}

async function openServer(kind: StoreKind, root: string, repoRoot: string): Promise<DatabaseServer> {
  if (kind === 'pglite') return pgliteServer(root, repoRoot)
  progress(
    process.env.TMA_PAY_BENCH_DATABASE_URL
      ? 'postgres: using TMA_PAY_BENCH_DATABASE_URL'
      : 'postgres: starting a throwaway cluster',
  )
  return postgresServer(root, repoRoot)
}

/** `run` on each store in turn (closing its server after), or a skipped entry for a store that cannot start. */
export async function eachStore<S>(
  kinds: readonly StoreKind[],
  root: string,
  repoRoot: string,
  run: (server: DatabaseServer) => Promise<S>,
): Promise<Array<S | SkippedStore>> {
  const results: Array<S | SkippedStore> = []
  for (const kind of kinds) {
    let server: DatabaseServer
    try {
      server = await openServer(kind, root, repoRoot)
    } catch (error) {
      // Only PostgreSQL can be missing (not installed here); say so and bench the rest.
      const reason = (error as Error).message.split('\n')[0]!
      progress(`${kind}: skipped: ${reason}`)
      results.push({ store: kind, label: kind === 'postgres' ? 'PostgreSQL' : 'PGlite', skipped: reason })
      continue
    }
    try {
      results.push(await run(server))
    } finally {
      await server.close()
    }
  }
  return results
}

/**
 * A bench's stores from start to end: how busy the cores were before anything started, then `run` on each store
 * in turn with the bench product's file, in a temp directory (named from `tempPrefix`) removed after.
 */
export async function benchEachStore<S>(
  kinds: readonly StoreKind[],
  tempPrefix: string,
  repoRoot: string,
  run: (server: DatabaseServer, productsFile: string) => Promise<S>,
): Promise<{ stores: Array<S | SkippedStore>; busyBefore: Awaited<ReturnType<typeof busyBeforeStart>> }> {
  // Two cores shared with a test run give figures that mean nothing; measure the quiet first, warn if it is not.
  const busyBefore = await busyBeforeStart('; figures will be skewed')
  const root = makeTempRoot(tempPrefix)
  try {
    const productsFile = writeProductsFile(root.path)
    const stores = await eachStore(kinds, root.path, repoRoot, (server) => run(server, productsFile))
    return { stores, busyBefore }
  } finally {
    root.remove()
  }
}
