// `prometheusMetrics()`: the server's instruments (metrics.ts) as Prometheus metrics, through prom-client, an
// optional peer dependency loaded here only.
import type { Registry } from 'prom-client'
import type { PayMetrics, PayMetricsSource } from './metrics'

export interface PrometheusMetricsOptions {
  /** The registry to add tma-pay's metrics to (the app's own, to serve them with its others). Default: a new one. */
  registry?: Registry
  /** Also collect prom-client's default metrics of the process (CPU, memory, event loop lag, GC). Default false. */
  defaultMetrics?: boolean
}

/** tma-pay's instruments as Prometheus metrics: pass it as `createPayServer({ metrics })`, serve `text()`. */
export interface PrometheusMetrics extends PayMetrics {
  readonly registry: Registry
  /** `Content-Type` of `text()`: Prometheus' text format. */
  readonly contentType: string
  /** Every metric of the registry in Prometheus' text format, read now (the outbox and streams included). */
  text(): Promise<string>
  /** `GET /metrics` as a Response, for any Web-standard router. */
  response(): Promise<Response>
}

// Telegram waits 10 s for a pre-checkout answer; webhook calls that take seconds delay every later update.
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Prometheus metrics of a pay server (prom-client; `npm install prom-client`):
 * - `tma_pay_payments_total{outcome,source}`: charges handled, by outcome (paid, renewed, refunded, duplicate,
 *   mismatch, known, orphan) and where they came from (telegram, reconcile);
 * - `tma_pay_pre_checkout_seconds{answer}`: from a pre-checkout update to its answer (approved, refused);
 * - `tma_pay_webhook_seconds{status}`, `tma_pay_webhook_errors_total`: `POST /telegram/webhook` handling, and
 *   the calls answered 5xx (Telegram delivers those again);
 * - `tma_pay_outbox_pending`, `tma_pay_outbox_oldest_due_seconds`: the fulfilment backlog (onPaid and
 *   notifications not done), read at each scrape;
 * - `tma_pay_reconcile_runs_total{result}`, `tma_pay_reconcile_found_total{kind}`: reconciliation runs (ok,
 *   failed) and the payments and refunds they found that no update had brought;
 * - `tma_pay_open_streams`: order streams open on this instance.
 */
export async function prometheusMetrics(options: PrometheusMetricsOptions = {}): Promise<PrometheusMetrics> {
  let prom: typeof import('prom-client')
  try {
    prom = await import('prom-client')
  } catch (cause) {
    throw new Error('Prometheus metrics need prom-client: npm install prom-client', { cause })
  }
  const registry = options.registry ?? new prom.Registry()
  const registers = [registry]
  if (options.defaultMetrics) prom.collectDefaultMetrics({ register: registry })
  let source: PayMetricsSource | undefined

  const payments = new prom.Counter({
    name: 'tma_pay_payments_total',
    help: 'Charges handled, by outcome and by where they came from.',
    labelNames: ['outcome', 'source'] as const,
    registers,
  })
  const preCheckout = new prom.Histogram({
    name: 'tma_pay_pre_checkout_seconds',
    help: 'Time from a pre-checkout update to its answer.',
    labelNames: ['answer'] as const,
    buckets: latencyBuckets,
    registers,
  })
  const webhook = new prom.Histogram({
    name: 'tma_pay_webhook_seconds',
    help: 'Handling of POST /telegram/webhook, by HTTP status.',
    labelNames: ['status'] as const,
    buckets: latencyBuckets,
    registers,
  })
  const webhookErrors = new prom.Counter({
    name: 'tma_pay_webhook_errors_total',
    help: 'Webhook calls answered 5xx: Telegram delivers them again.',
    registers,
  })
  const reconcileRuns = new prom.Counter({
    name: 'tma_pay_reconcile_runs_total',
    help: 'Reconciliation runs, by result.',
    labelNames: ['result'] as const,
    registers,
  })
  const reconcileFound = new prom.Counter({
    name: 'tma_pay_reconcile_found_total',
    help: 'Payments and refunds reconciliation found in the Star ledger that no update had brought.',
    labelNames: ['kind'] as const,
    registers,
  })
  // Read at collection: a gauge of the store's state would be stale between scrapes if it were counted.
  let backlog: Promise<{ pending: number; oldestDueSeconds: number }> | undefined
  const readBacklog = () => {
    // One query per scrape for both outbox gauges.
    backlog ??= (source?.outboxBacklog() ?? Promise.resolve({ pending: 0, oldestDueSeconds: 0 }))
      // A store that is down reads as no figure (NaN), not as a failed scrape: the other metrics matter then most.
      .catch(() => ({ pending: Number.NaN, oldestDueSeconds: Number.NaN }))
      .finally(() => {
        backlog = undefined
      })
    return backlog
  }
  new prom.Gauge({
    name: 'tma_pay_outbox_pending',
    help: 'Fulfilment jobs (onPaid, onRefunded, notifications) not done yet.',
    registers,
    async collect() {
      this.set((await readBacklog()).pending)
    },
  })
  new prom.Gauge({
    name: 'tma_pay_outbox_oldest_due_seconds',
    help: 'How long the oldest due fulfilment job has waited (0 when none is due).',
    registers,
    async collect() {
      this.set((await readBacklog()).oldestDueSeconds)
    },
  })
  new prom.Gauge({
    name: 'tma_pay_open_streams',
    help: 'Order streams open on this instance.',
    registers,
    collect() {
      this.set(source?.openStreams() ?? 0)
    },
  })
  // Zero series up front, so a rate() over them starts at the first scrape, not at the first event.
  reconcileRuns.inc({ result: 'ok' }, 0)
  reconcileRuns.inc({ result: 'failed' }, 0)
  webhookErrors.inc(0)

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    async response() {
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } })
    },
    bind(given) {
      source = given
    },
    payment(outcome, from) {
      payments.inc({ outcome, source: from })
    },
    preCheckout(answer, seconds) {
      preCheckout.observe({ answer }, seconds)
    },
    webhook(status, seconds) {
      webhook.observe({ status: String(status) }, seconds)
      if (status >= 500) webhookErrors.inc()
    },
    reconcile(result) {
      if ('failed' in result) return reconcileRuns.inc({ result: 'failed' })
      reconcileRuns.inc({ result: 'ok' })
      reconcileFound.inc({ kind: 'payment' }, result.applied)
      reconcileFound.inc({ kind: 'refund' }, result.refunded)
    },
  }
}
