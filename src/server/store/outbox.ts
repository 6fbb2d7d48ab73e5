import { newEventId } from '../../core/ids'
import { orderFromRow } from './rows'
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

/** What marks a job done (the job's id is the placeholder `id`). */
const completeJob = (id: string) =>
  `update tma_pay_outbox set done_at = now(), locked_until = null, last_error = null where id = ${id}`

/**
 * Claims the next due job for `leaseMs`, with its order, read in the same statement: a worker runs the handler with
 * it. With `completing`, that job is marked done in the same statement (and is not the one claimed: the claim still
 * sees it as not done).
 */
async function claimNext(
  db: SqlExecutor,
  leaseMs: number,
  completing?: string,
): Promise<OutboxJob | undefined> {
  const done = completing ? `done as (${completeJob('$2')}),` : ''
  const [row] = await db.query(
    `with ${done} job as (
       update tma_pay_outbox set locked_until = now() + ($1 || ' milliseconds')::interval, attempts = attempts + 1
         where id = (
           select id from tma_pay_outbox
           where done_at is null and next_attempt_at <= now() and (locked_until is null or locked_until < now())
             ${completing ? 'and id <> $2' : ''}
           order by next_attempt_at limit 1 for update skip locked
         ) returning id, order_id, type, attempts
     )
     select job.id as tma_pay_job_id, job.order_id as tma_pay_job_order_id, job.type as tma_pay_job_type,
       job.attempts as tma_pay_job_attempts, o.*
     from job left join tma_pay_orders o on o.id = job.order_id`,
    completing ? [String(leaseMs), completing] : [String(leaseMs)],
  )
  if (!row) return undefined
  return {
    id: String(row.tma_pay_job_id),
    orderId: String(row.tma_pay_job_order_id),
    type: row.tma_pay_job_type as OutboxJob['type'],
    attempts: Number(row.tma_pay_job_attempts),
    ...(row.id == null ? {} : { order: orderFromRow(row) }),
  }
}

/** The fulfilment outbox: leased jobs, done once, retried with backoff. */
export const outboxQueries = (db: SqlDriver) => ({
  claimOutboxJob: (leaseMs: number) => claimNext(db, leaseMs),

  async completeOutboxJob(jobId: string, next?: { leaseMs: number }) {
    if (next) return claimNext(db, next.leaseMs, jobId)
    await db.query(completeJob('$1'), [jobId])
    return undefined
  },

  async completeDueOutboxJobs(limit: number) {
    // The claim's choice of jobs (due, not leased to a worker), done at once: there is nothing to run for them.
    const done = await db.query(
      `update tma_pay_outbox set done_at = now(), locked_until = null, last_error = null, attempts = attempts + 1
         where id in (
           select id from tma_pay_outbox
           where done_at is null and next_attempt_at <= now() and (locked_until is null or locked_until < now())
           order by next_attempt_at limit $1 for update skip locked
         ) returning id`,
      [limit],
    )
    return done.length
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
