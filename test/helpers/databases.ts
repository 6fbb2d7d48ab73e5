// Throwaway databases for tests: a fresh PostgreSQL database per test (or suite) on the server
// `npm test` starts (scripts/pg-cluster.sh), and a fresh directory for a PGlite data dir.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

/** True when a PostgreSQL server for tests is configured (`npm test` sets it up). */
export const postgresAvailable = !!process.env.TMA_PAY_TEST_DATABASE_URL

const OBJECT_IN_USE = '55006'

function adminUrl(): string {
  const url = process.env.TMA_PAY_TEST_DATABASE_URL
  if (!url) {
    throw new Error(
      'TMA_PAY_TEST_DATABASE_URL is not set. Run the tests with `npm test`, which starts a throwaway ' +
        'PostgreSQL server (install it with `bash scripts/ci-deps.sh`), or set TMA_PAY_TEST_DATABASE_URL ' +
        'to a server where you may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres.',
    )
  }
  return url
}

/** Runs `fn` on a one-connection admin client, retrying while the target database is briefly in use. */
async function withAdmin(url: string, fn: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn(sql)
        return
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (code !== OBJECT_IN_USE || attempt >= 10) throw error
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
      }
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * Creates an empty database `tma_pay_t_<random>` on the test server and returns its URL.
 * `drop()` ends every connection to it and drops it; calling it twice is harmless.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl()
  const name = `tma_pay_t_${randomBytes(8).toString('hex')}`
  await withAdmin(admin, async (sql) => {
    await sql.unsafe(`CREATE DATABASE ${name}`)
  })

  const url = new URL(admin)
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return
      await withAdmin(admin, async (sql) => {
        await sql`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = ${name} AND pid <> pg_backend_pid()`
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name}`)
      })
      dropped = true
    },
  }
}

/** A fresh empty temp directory, e.g. for a PGlite data dir. `remove()` deletes it and its contents. */
export function freshPgliteDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tma-pay-pglite-'))
  return {
    dir,
    remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
