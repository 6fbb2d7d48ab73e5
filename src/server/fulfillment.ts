import type { Order } from '../core'
import type { Logger } from './logger'
import type { OutboxJob, PayStore } from './store/types'

/** Passed to `onPaid`/`onRefunded`: the same `eventId` on every attempt, so a handler can dedupe. */
export interface FulfillmentContext {
  eventId: string
  type: 'order.paid' | 'order.refunded'
  /** 1 on the first call, 2 on the first retry, ... */
  attempt: number
}

export type FulfillmentHandler = (order: Order, context: FulfillmentContext) => void | Promise<void>

export interface FulfillmentOptions {
  /** First retry delay after a failed handler, doubled per attempt. Default 1000. */
  retryBaseMs?: number
  /** Longest retry delay. Default 300000 (5 minutes). */
  retryMaxMs?: number
  /** How long a worker owns a job before another instance may take it over (a crash). Default 60000. */
  leaseMs?: number
}

/**
 * Runs the fulfilment outbox: each paid or refunded order's handler, until it succeeds, once.
 * Jobs are written in the payment's own transaction, so a crash between payment and handler only
 * delays the handler, and the lease lets another instance finish it.
 */
export function createFulfillmentWorker(
  store: PayStore,
  handlers: {
    onPaid?: FulfillmentHandler
    onRefunded?: FulfillmentHandler
    /** A duplicate purchase (a non-consumable paid while owned): tma-pay's own, to refund it if asked to. */
    onDuplicate?: (order: Order) => Promise<void>
  },
  logger: Logger,
  options: FulfillmentOptions = {},
) {
  const retryBaseMs = options.retryBaseMs ?? 1000
  const retryMaxMs = options.retryMaxMs ?? 300_000
  const leaseMs = options.leaseMs ?? 60_000
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  const retryTimers = new Set<ReturnType<typeof setTimeout>>()

  // A retry runs when it falls due, not at the next background tick; the tick still catches retries
  // scheduled by another instance or before a restart.
  function scheduleDrain(inMs: number) {
    const timer = setTimeout(() => {
      retryTimers.delete(timer)
      void worker.drain()
    }, inMs + 5)
    timer.unref?.()
    retryTimers.add(timer)
  }

  /** Runs a claimed job; returns the next due job, claimed with this one's completion (none once stopped). */
  async function runJob(job: OutboxJob): Promise<OutboxJob | undefined> {
    const order = job.order ?? (await store.getOrder(job.orderId))
    try {
      if (job.type === 'order.duplicate') {
        if (order) await handlers.onDuplicate?.(order)
      } else {
        const handler = job.type === 'order.paid' ? handlers.onPaid : handlers.onRefunded
        if (order && handler) await handler(order, { eventId: job.id, type: job.type, attempt: job.attempts })
      }
      return await store.completeOutboxJob(job.id, stopped ? undefined : { leaseMs })
    } catch (error) {
      const retryInMs = Math.min(retryMaxMs, retryBaseMs * 2 ** (job.attempts - 1))
      const message = error instanceof Error ? error.message : String(error)
      logger.warn(`${job.type} handler failed; retrying`, {
        orderId: job.orderId,
        attempt: job.attempts,
        retryInMs,
        error: message,
      })
      await store.failOutboxJob(job.id, message, retryInMs)
      scheduleDrain(retryInMs)
      return stopped ? undefined : store.claimOutboxJob(leaseMs)
    }
  }

  // Without any handler every job is done as soon as it is due: a batch of them per statement, instead of a
  // claim, a completion and a claim that finds nothing per job.
  const nothingToRun = !handlers.onPaid && !handlers.onRefunded && !handlers.onDuplicate
  const batch = 100

  async function drainOnce() {
    if (stopped) return
    if (nothingToRun) {
      while (!stopped && (await store.completeDueOutboxJobs(batch)) === batch);
      return
    }
    let job = await store.claimOutboxJob(leaseMs)
    while (job) job = await runJob(job)
  }

  const worker = {
    /** Runs every due job; concurrent calls share one pass (and ask for another if work arrived meanwhile). */
    drain(): Promise<void> {
      if (running) {
        again = true
        return running
      }
      running = (async () => {
        try {
          do {
            again = false
            await drainOnce()
          } while (again && !stopped)
        } catch (error) {
          logger.error('fulfilment pass failed', {
            error: error instanceof Error ? error.message : String(error),
          })
        } finally {
          running = undefined
        }
      })()
      return running
    },
    async stop() {
      stopped = true
      for (const timer of retryTimers) clearTimeout(timer)
      retryTimers.clear()
      await running
    },
  }
  return worker
}
