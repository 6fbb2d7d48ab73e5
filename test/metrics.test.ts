// Prometheus metrics (issue 12): `createPayServer({ metrics: await prometheusMetrics() })` on each store, read
// at GET /admin/metrics as Prometheus would, with the counters moving after payments, a refused pre-checkout, a
// redelivery, a webhook that failed, an open stream, a fulfilment backlog and a reconciliation run.
import type { Order } from 'tma-pay'
import { type PayStore, type PrometheusMetrics, prometheusMetrics } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  type RunningServer,
  type StoreKind,
  sleep,
  startServer,
  storeKinds,
  userApi,
  webhookSecret,
} from './helpers/stack'

const adminKey = 'metrics-admin-key-0123456789abcdef0123'

type Sample = { name: string; labels: Record<string, string>; value: number }

/** Prometheus' text format, as a scraper reads it. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not Prometheus text: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** A store whose recordPayment fails `failures.count` more times: the webhook answers 500 meanwhile. */
function failingPayments(store: PayStore, failures: { count: number }): PayStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (property === 'recordPayment')
        return (...args: Parameters<PayStore['recordPayment']>) => {
          if (failures.count > 0) {
            failures.count--
            return Promise.reject(new Error('the disk is full'))
          }
          return target.recordPayment(...args)
        }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

const metricsByStore = Object.fromEntries(
  await Promise.all(storeKinds.map(async (kind) => [kind, await prometheusMetrics()] as const)),
) as Record<StoreKind, PrometheusMetrics>

let nextUserId = 91_000

describe.each(storeKinds)('metrics on %s', (kind) => {
  const metrics = metricsByStore[kind]
  let sim: TelegramSimulator
  let server: RunningServer
  let remove: () => Promise<void>
  const failures = { count: 0 }
  let holdFulfilment: Promise<void> | undefined
  let onHold = () => {}
  const fulfilled: Order[] = []

  beforeAll(async () => {
    sim = await createSimulator()
    const database = await createTestDatabase(kind)
    remove = () => database.remove()
    server = await startServer(sim, failingPayments(database.open(), failures), {
      adminKey,
      adminAuthThrottle: false,
      metrics,
      reconcile: false,
      onPaid: async (order) => {
        if (holdFulfilment) {
          onHold()
          await holdFulfilment
        }
        fulfilled.push(order)
      },
    })
  })
  afterAll(async () => {
    await server?.close()
    await sim?.close()
    await remove?.()
  })

  const scrape = async () => {
    const response = await fetch(`${server.url}/admin/metrics`, {
      headers: { authorization: `Bearer ${adminKey}` },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const samples = parseMetrics(await response.text())
    return (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter(
          (sample) =>
            sample.name === name &&
            Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
        )
        .reduce((sum, sample) => sum + sample.value, 0)
  }

  const buy = async (options: { totalAmount?: number } = {}) => {
    const userId = nextUserId++
    const user = userApi(sim, server.url, userId)
    const order = await user.createOrder('magic-book')
    const payment = await sim.pay(order.invoiceUrl, { userId, ...options })
    await sim.idle()
    await server.pay.runBackgroundWork()
    return { user, order, payment }
  }

  it('are behind the admin key', async () => {
    expect((await fetch(`${server.url}/admin/metrics`)).status).toBe(401)
    const wrong = await fetch(`${server.url}/admin/metrics`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    const read = await scrape()
    expect(read('tma_pay_reconcile_runs_total', { result: 'failed' })).toBe(0)
  })

  it('count a payment by outcome and source, its pre-checkout and its webhook calls', async () => {
    const before = await scrape()
    const { user, order } = await buy()
    expect((await user.getOrder(order.id)).status).toBe('paid')
    const after = await scrape()
    const paid = { outcome: 'paid', source: 'telegram' }
    expect(after('tma_pay_payments_total', paid) - before('tma_pay_payments_total', paid)).toBe(1)
    const approved = { answer: 'approved' }
    expect(
      after('tma_pay_pre_checkout_seconds_count', approved) -
        before('tma_pay_pre_checkout_seconds_count', approved),
    ).toBe(1)
    // The pre-checkout and the successful_payment, each one webhook call answered 200.
    const ok = { status: '200' }
    expect(
      after('tma_pay_webhook_seconds_count', ok) - before('tma_pay_webhook_seconds_count', ok),
    ).toBeGreaterThanOrEqual(2)
    expect(after('tma_pay_webhook_seconds_sum', ok)).toBeGreaterThan(0)
  })

  it('count a refused pre-checkout, a redelivered payment and a webhook answered 500', async () => {
    const before = await scrape()
    await buy({ totalAmount: 1 })
    sim.fault({ type: 'duplicate', on: 'successful_payment', count: 2 })
    await buy()
    // The store fails once: Telegram gets a 500 and delivers the update again, which is then recorded once.
    failures.count = 1
    const { user, order } = await buy()
    await eventually(async () => (await user.getOrder(order.id)).status === 'paid')
    await sim.idle()
    const after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}) =>
      after(name, labels) - before(name, labels)
    expect(delta('tma_pay_pre_checkout_seconds_count', { answer: 'refused' })).toBe(1)
    expect(delta('tma_pay_payments_total', { outcome: 'known' })).toBe(1)
    expect(delta('tma_pay_payments_total', { outcome: 'paid' })).toBe(2)
    expect(delta('tma_pay_webhook_seconds_count', { status: '500' })).toBe(1)
    expect(delta('tma_pay_webhook_errors_total')).toBe(1)
  })

  it('count webhook calls refused for a wrong secret', async () => {
    const before = await scrape()
    const response = await fetch(`${server.url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': `${webhookSecret}x` },
      body: '{"update_id":1}',
    })
    expect(response.status).toBe(401)
    const after = await scrape()
    expect(
      after('tma_pay_webhook_seconds_count', { status: '401' }) -
        before('tma_pay_webhook_seconds_count', { status: '401' }),
    ).toBe(1)
  })

  it('show the open order streams', async () => {
    const userId = nextUserId++
    const user = userApi(sim, server.url, userId)
    const order = await user.createOrder('magic-book')
    const abort = new AbortController()
    const stream = await fetch(`${server.url}/orders/${order.id}/stream`, {
      headers: { authorization: `tma ${user.initData}` },
      signal: abort.signal,
    })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    await reader.read()
    expect((await scrape())('tma_pay_open_streams')).toBe(1)
    abort.abort()
    await reader.cancel().catch(() => {})
    await eventually(async () => (await scrape())('tma_pay_open_streams') === 0)
  })

  it('show the fulfilment backlog, and how long its oldest due job has waited', async () => {
    // onPaid hangs (the shop's backend stuck): its job stays due and undone, and its wait grows.
    let entered!: () => void
    const reached = new Promise<void>((resolve) => {
      entered = resolve
    })
    let release!: () => void
    holdFulfilment = new Promise<void>((resolve) => {
      release = resolve
    })
    onHold = entered
    const userId = nextUserId++
    const user = userApi(sim, server.url, userId)
    const order = await user.createOrder('magic-book')
    await sim.pay(order.invoiceUrl, { userId })
    await reached
    await sleep(300)
    const stuck = await scrape()
    expect(stuck('tma_pay_outbox_pending')).toBe(1)
    expect(stuck('tma_pay_outbox_oldest_due_seconds')).toBeGreaterThanOrEqual(0.25)
    holdFulfilment = undefined
    release()
    await server.pay.runBackgroundWork()
    const drained = await scrape()
    expect(drained('tma_pay_outbox_pending')).toBe(0)
    expect(drained('tma_pay_outbox_oldest_due_seconds')).toBe(0)
    expect(fulfilled.at(-1)?.id).toBe(order.id)
  })

  it('count reconciliation runs and the payments they found', async () => {
    const before = await scrape()
    sim.fault({ type: 'drop', on: 'successful_payment' })
    const { user, order } = await buy()
    expect((await user.getOrder(order.id)).status).toBe('processing')
    const result = await server.pay.reconcile()
    expect(result.applied).toBe(1)
    const after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}) =>
      after(name, labels) - before(name, labels)
    expect(delta('tma_pay_reconcile_runs_total', { result: 'ok' })).toBe(1)
    expect(delta('tma_pay_reconcile_found_total', { kind: 'payment' })).toBe(1)
    expect(delta('tma_pay_payments_total', { outcome: 'paid', source: 'reconcile' })).toBe(1)
  })
})
