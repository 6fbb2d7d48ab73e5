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
