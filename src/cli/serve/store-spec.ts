import { redactUrl } from '../../server/redact'
import { pgliteStore } from '../../server/store/pglite'
import { postgresStore } from '../../server/store/postgres'
import type { PayStore } from '../../server/store/types'
import { UsageError } from '../errors'

export interface StoreSpec {
  kind: 'pglite' | 'postgres'
  /** Where, for messages: the directory, or the server URL without its password and query. */
  label: string
  /** PGlite's data directory (`memory://` for none). */
  dir?: string
  /** The database password, which no log line may show. */
  secret?: string
  open(): PayStore
}

/** `pglite:DIR` (embedded, in a directory; `pglite:memory://` keeps nothing) or `postgres://...`. */
export function parseStoreSpec(spec: string): StoreSpec {
  if (spec.startsWith('pglite:')) {
    const dir = spec.slice('pglite:'.length)
    if (!dir) throw new UsageError('--store pglite: needs a directory, e.g. --store pglite:./.tma-pay')
    return {
      kind: 'pglite',
      dir,
      label: dir === 'memory://' ? 'PGlite in memory (nothing is kept)' : `PGlite in ${dir}`,
      open: () => pgliteStore(dir),
    }
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    let url: URL
    try {
      url = new URL(spec)
    } catch {
      throw new UsageError(
        '--store: the PostgreSQL URL does not parse; use postgres://user:password@host:5432/database',
      )
    }
    if (!url.hostname)
      throw new UsageError(
        '--store: the PostgreSQL URL needs a host, e.g. postgres://user:password@host:5432/database',
      )
    return {
      kind: 'postgres',
      label: `PostgreSQL at ${redactUrl(url)}`,
      ...(url.password ? { secret: decodeURIComponent(url.password) } : {}),
      open: () => postgresStore(spec),
    }
  }
  throw new UsageError(
    `--store must be pglite:DIR or postgres://user:password@host:5432/database, not ${JSON.stringify(spec)}.`,
  )
}
