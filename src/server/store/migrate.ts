import { migrations } from './schema'
import type { SqlDriver } from './sql'

/** Runs the migrations not yet applied, in one transaction; several instances starting at once migrate once. */
export async function migrate(db: SqlDriver): Promise<void> {
  await db.transaction(async (tx) => {
    // Several instances may start at once; the advisory lock makes one of them migrate.
    await tx.query('select pg_advisory_xact_lock(7316204)')
    await tx.query(
      'create table if not exists tma_pay_migrations (version integer primary key, applied_at timestamptz not null default now())',
    )
    const done = await tx.query<{ version: number }>('select version from tma_pay_migrations')
    const applied = new Set(done.map((row) => Number(row.version)))
    for (const [index, sql] of migrations.entries()) {
      if (applied.has(index + 1)) continue
      for (const statement of sql
        .split(/;\s*$/m)
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(statement)
      await tx.query('insert into tma_pay_migrations (version) values ($1)', [index + 1])
    }
  })
}

/** How far the database is migrated, read without changing anything (`tma-pay doctor`). */
export async function migrationStatus(db: SqlDriver): Promise<{ applied: number; latest: number }> {
  const [table] = await db.query<{ present: boolean }>(
    "select to_regclass('tma_pay_migrations') is not null as present",
  )
  if (!table?.present) return { applied: 0, latest: migrations.length }
  const [row] = await db.query<{ applied: number | null }>(
    'select max(version)::int as applied from tma_pay_migrations',
  )
  return { applied: Number(row?.applied ?? 0), latest: migrations.length }
}
