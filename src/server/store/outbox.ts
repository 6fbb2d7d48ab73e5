import { newEventId } from '../../core/ids'
import type { SqlDriver, SqlExecutor } from './sql'
import type { OutboxJob } from './types'

/**
 * Queues the fulfilment job of an order (in the caller's transaction, so it commits with the change it follows),
 * once per order and type.
 */
export async function enqueueOutboxJob(tx: SqlExecutor, orderId: string, type: OutboxJob['type']) {
  await tx.query(
    'insert into tma_pay_outbox (id, order_id, type) values ($1, $2, $3) on conflict (order_id, type) do nothing',
    [newEventId(), orderId, type],
  )
}

/** The fulfilment outbox: leased jobs, done once, retried with backoff. */
export const outboxQueries = (db: SqlDriver) => ({
  async claimOutboxJob(leaseMs: number): Promise<OutboxJob | undefined> {
    const [row] = await db.query(
      `update tma_pay_outbox set locked_until = now() + ($1 || ' milliseconds')::interval, attempts = attempts + 1
         where id = (
           select id from tma_pay_outbox
           where done_at is null and next_attempt_at <= now() and (locked_until is null or locked_until < now())
           order by next_attempt_at limit 1 for update skip locked
         ) returning id, order_id, type, attempts`,
      [String(leaseMs)],
    )
    if (!row) return undefined
    return {
      id: String(row.id),
      orderId: String(row.order_id),
      type: row.type as OutboxJob['type'],
      attempts: Number(row.attempts),
    }
  },

  async completeOutboxJob(jobId: string) {
    await db.query(
      'update tma_pay_outbox set done_at = now(), locked_until = null, last_error = null where id = $1',
      [jobId],
    )
  },

  async outboxBacklog() {
    // The partial index on next_attempt_at (done_at is null) serves both figures.
    const [row] = await db.query(
      `select count(*) as pending,
         coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)
           as oldest_due_seconds
       from tma_pay_outbox where done_at is null`,
    )
    return { pending: Number(row?.pending ?? 0), oldestDueSeconds: Number(row?.oldest_due_seconds ?? 0) }
  },

  async failOutboxJob(jobId: string, error: string, retryInMs: number) {
    await db.query(
      `update tma_pay_outbox set locked_until = null, last_error = $2,
           next_attempt_at = now() + ($3 || ' milliseconds')::interval where id = $1`,
      [jobId, error.slice(0, 2000), String(retryInMs)],
    )
  },
})
