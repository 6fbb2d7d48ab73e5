// What the pay server reports as it works, for `createPayServer({ metrics })`. Framework-free: the server calls
// these and knows nothing of Prometheus; `prometheusMetrics()` (prometheus.ts) is one implementation.
import type { PaymentRecord, RecordedPayment } from './store/types'

/** A charge's outcome, as `recordPayment` ends it: `known` is a redelivery, `orphan` names no order of ours. */
export type PaymentOutcome = RecordedPayment['outcome']

/** What the server reads on demand, when metrics are collected (a scrape), rather than counting it. */
export interface PayMetricsSource {
  /** Fulfilment jobs not done yet, and how long the oldest of those that are due has waited, in seconds (0: none due). */
  outboxBacklog(): Promise<{ pending: number; oldestDueSeconds: number }>
  /** Order streams open on this instance. */
  openStreams(): number
}

/** The server's instruments. Each is optional; none may throw (a failure in one is the metrics' own business). */
export interface PayMetrics {
  /** Given once, by createPayServer, for what is read when metrics are collected. */
  bind?(source: PayMetricsSource): void
  /** The metrics as an HTTP answer; given, the server serves it at `GET /admin/metrics`, behind the admin key. */
  response?(): Promise<Response>
  /** A charge was handled, from Telegram's update (`telegram`) or found by reconciliation (`reconcile`). */
  payment?(outcome: PaymentOutcome, source: PaymentRecord['source']): void
  /** A pre-checkout query was answered (or Telegram refused the answer), `seconds` after its update arrived. */
  preCheckout?(answer: 'approved' | 'refused', seconds: number): void
  /** `POST /telegram/webhook` answered `status` after `seconds` (a 5xx makes Telegram deliver it again). */
  webhook?(status: number, seconds: number): void
  /** A reconciliation run ended: the payments and refunds it found that were not on record, or its failure. */
  reconcile?(result: { applied: number; refunded: number } | { failed: true }): void
}

/** Seconds since `startedAt`, a `performance.now()` reading. */
export const secondsSince = (startedAt: number) => (performance.now() - startedAt) / 1000
