// Reconciliation: finds Stars payments whose successful_payment never reached the server (a dropped
// webhook, the server down past Telegram's retries) in getStarTransactions, and applies them the way the
// webhook would. Truth 2 of the design: money taken is never lost.
import type { Api } from 'grammy'
import {
  type FoundPayment,
  type FoundRefund,
  pastLookback,
  paymentFromTransaction,
  refundFromTransaction,
} from './ledger'
import type { Logger } from './logger'
import type { PayMetrics } from './metrics'
import type { RecordPayment } from './payments'
import type { Refunds } from './refunds'
import type { ChargeState, PayStore } from './store/types'

export interface ReconcileOptions {
  /** How often reconciliation runs, in ms (it also runs once at start); `false` runs it only at start and when you call `pay.reconcile()`. Default 60000. */
  intervalMs?: number | false
  /** Transactions asked of `getStarTransactions` per call: 1-100. Default 100. */
  pageSize?: number
  /** How far back payments are looked for, in ms; older transactions are not read. Default 604800000 (7 days). */
  lookbackMs?: number
}

export interface ReconcileResult {
  /** Incoming invoice payments within the lookback window that were looked at. */
  checked: number
  /** Of those, the payments that were not on record and were recorded now. */
  applied: number
  /** Refunds in the ledger (outgoing transactions) of charges on record that were not known to be refunded. */
  refunded: number
}

export interface ReconcilerDependencies {
  store: PayStore
  telegram: () => Api
  logger: Logger
  metrics: PayMetrics
  /** The webhook's own path for a charge, so a race between the two is harmless. */
  recordPayment: RecordPayment
  /** The webhook's own path for a refund. */
  refunds: Refunds
}

export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000
const DEFAULT_PAGE_SIZE = 100
const DEFAULT_LOOKBACK_MS = 7 * 24 * 3_600_000
/** grammY waits 500 s for an answer by default; a run should not hold close() that long. */
const CALL_TIMEOUT_MS = 30_000

export function createReconciler(deps: ReconcilerDependencies, options: ReconcileOptions = {}) {
  const { store, logger } = deps
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw new TypeError(`reconcile.pageSize must be an integer 1-100, got ${pageSize}.`)
  const { intervalMs } = options
  // Timers take at most 2^31-1 ms (Node runs a longer one after 1 ms), and 0 would spin.
  if (
    intervalMs !== undefined &&
    intervalMs !== false &&
    !(Number.isInteger(intervalMs) && intervalMs >= 1 && intervalMs <= 2_147_483_647)
  )
    throw new TypeError(
      `reconcile.intervalMs must be false or an integer 1-2147483647 ms, got ${intervalMs}.`,
    )
  if (!(lookbackMs > 0)) throw new TypeError(`reconcile.lookbackMs must be positive, got ${lookbackMs}.`)

  /**
   * The expiry successful_payment would have carried. A transaction has only its date: a first payment
   * runs a period from it; a renewal (its order paid already) a period from where the last one ended,
   * as Telegram charges renewals then. (The store tells the two apart by that order status too.)
   */
  async function subscriptionExpiry(orderId: string, date: number, period: number): Promise<string> {
    const order = await store.getOrder(orderId)
    const current = order?.status === 'paid' ? order.subscription?.expiresAt : undefined
    const from = Math.max(date, current ? Math.floor(Date.parse(current) / 1000) : 0)
    return new Date((from + period) * 1000).toISOString()
  }

  /**
   * Records payments not on record, oldest first (so renewals move a subscription on in order). One the ledger
   * shows refunded too (its refunded_payment lost as well) is recorded as refunded: it never pays anything out.
   */
  async function applyPayments(unknown: FoundPayment[], refunded: Set<string>): Promise<number> {
    let applied = 0
    // Found newest first; reversed, a stable sort keeps charges of the same second in their order too.
    for (const { payment: found, date, subscriptionPeriod } of unknown
      .reverse()
      .sort((a, b) => a.date - b.date)) {
      const payment = { ...found, ...(refunded.has(found.telegramPaymentChargeId) ? { refunded: true } : {}) }
      if (subscriptionPeriod)
        payment.subscriptionExpiresAt = await subscriptionExpiry(
          payment.invoicePayload,
          date,
          subscriptionPeriod,
        )
      const result = await deps.recordPayment(payment)
      if (result.outcome === 'known') continue
      applied++
      if (result.outcome !== 'orphan')
        logger.warn('reconcile recorded a payment whose webhook never arrived', {
          orderId: result.order.id,
          telegramPaymentChargeId: payment.telegramPaymentChargeId,
          outcome: result.outcome,
        })
    }
    return applied
  }

  /** Applies refunds of charges on record that the store does not know as refunded (a lost refunded_payment). */
  async function applyRefunds(found: FoundRefund[], states: Map<string, ChargeState>): Promise<number> {
    let applied = 0
    for (const refund of found) {
      const state = states.get(refund.chargeId)
      if (!state?.orderId || state.refunded) continue
      const result = await deps.refunds.applyReportedRefund(state.orderId, refund.chargeId, {
        source: 'reconcile',
        detail: { telegramPaymentChargeId: refund.chargeId, amount: refund.amount, currency: 'XTR' },
      })
      if (result && result.outcome !== 'known') {
        applied++
        logger.warn('reconcile applied a refund whose refunded_payment never arrived', {
          orderId: state.orderId,
          telegramPaymentChargeId: refund.chargeId,
          outcome: result.outcome,
        })
      }
    }
    return applied
  }

  const stopping = new AbortController()

  async function reconcileOnce(): Promise<ReconcileResult> {
    const cutoff = Math.floor((Date.now() - lookbackMs) / 1000)
    let checked = 0
    const unknown: FoundPayment[] = []
    const refunds: FoundRefund[] = []
    const states = new Map<string, ChargeState>()
    for (let offset = 0; ; offset += pageSize) {
      stopping.signal.throwIfAborted()
      const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)])
      const page = (
        await deps
          .telegram()
          .getStarTransactions(
            { offset, limit: pageSize },
            signal as Parameters<Api['getStarTransactions']>[1],
          )
      ).transactions
      const recent = page.filter((transaction) => transaction.date >= cutoff)
      const found = recent.map(paymentFromTransaction).filter((entry) => entry !== undefined)
      const refunded = recent.map(refundFromTransaction).filter((entry) => entry !== undefined)
      checked += found.length
      refunds.push(...refunded)
      // One query a page: which of its charges are on record already, and which of those were refunded.
      const pageStates = await store.chargeStates([
        ...found.map((entry) => entry.payment.telegramPaymentChargeId),
        ...refunded.map((entry) => entry.chargeId),
      ])
      for (const [chargeId, state] of pageStates) states.set(chargeId, state)
      unknown.push(...found.filter((entry) => !pageStates.has(entry.payment.telegramPaymentChargeId)))
      if (page.length < pageSize || pastLookback(page, cutoff)) break
    }
    const refundedIds = new Set(refunds.map((refund) => refund.chargeId))
    const applied = await applyPayments(unknown, refundedIds)
    return { checked, applied, refunded: await applyRefunds(refunds, states) }
  }

  // One run at a time: a run asked for while another is under way starts after it, so it sees
  // every payment made before it was asked for.
  let queue: Promise<unknown> = Promise.resolve()
  let running = 0

  return {
    /** Reads recent Star transactions and applies every payment not on record. Rejects (after logging) when Telegram or the store fails. */
    run(): Promise<ReconcileResult> {
      running++
      const run = queue.then(reconcileOnce).then(
        (result) => {
          deps.metrics.reconcile?.(result)
          return result
        },
        (error: unknown) => {
          if (stopping.signal.aborted) throw error
          deps.metrics.reconcile?.({ failed: true })
          logger.error('reconciliation failed; the next run tries again', {
            error: error instanceof Error ? error.message : String(error),
          })
          throw error
        },
      )
      const done = run.finally(() => running--)
      queue = done.catch(() => {})
      return done
    },
    /** Cancels the run under way (and any waiting) and resolves when they have ended: before the store closes. */
    stop(): Promise<void> {
      stopping.abort(new Error('the pay server is closing'))
      return queue.then(() => {})
    },
    /** True while a run is under way or waiting, so a timer does not pile runs up. */
    get busy() {
      return running > 0
    },
  }
}
