// The webhook route answers tma-pay's pre-checkouts in its response, a webhook reply (issue 14): one round trip to
// Telegram less before the charge, and the answer leaves with the acknowledgement. `preCheckoutWebhookReply:
// false` makes the call of its own instead, as the bot middleware always does.
import type { PayStore } from 'tma-pay/server'
import type { RecordedCall, TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  type RunningServer,
  type StoreKind,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
} from './helpers/stack'

const answersOf = (sim: TelegramSimulator, queryId: string | undefined): RecordedCall[] =>
  sim.calls.filter(
    (call) => call.method === 'answerPreCheckoutQuery' && call.params.pre_checkout_query_id === queryId,
  )

describe.each(storeKinds)('pre-checkout answers on %s', (kind: StoreKind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let store: PayStore
  let byReply: RunningServer
  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    store = database.open()
    byReply = await startServer(sim, store)
  })
  afterAll(async () => {
    await byReply?.close()
    await database?.remove()
    await sim?.close()
  })

  it('answers an approved pre-checkout in the webhook response, and the payment lands once', async () => {
    const api = userApi(sim, byReply.url, 5101)
    const order = await api.createOrder('magic-book')
    const payment = await sim.pay(order.invoiceUrl, { userId: 5101 })
    expect(payment.outcome).toBe('paid')
    await sim.idle()
    const answers = answersOf(sim, payment.preCheckoutQueryId)
    expect(answers).toHaveLength(1)
    expect(answers[0]).toMatchObject({ ok: true, viaWebhookReply: true, params: { ok: true } })
    const paid = await api.getOrder(order.id)
    expect(paid.status).toBe('paid')
    expect((await store.timeline(order.id)).map((event) => event.status)).toEqual([
      'created',
      'processing',
      'paid',
    ])
  })

  it('answers a refusal in the webhook response too, with its reason', async () => {
    const api = userApi(sim, byReply.url, 5102)
    const order = await api.createOrder('magic-book')
    // Another user pays a link that is not theirs: refused, nothing charged.
    const payment = await sim.pay(order.invoiceUrl, { userId: 5199 })
    expect(payment.outcome).toBe('refused')
    const answers = answersOf(sim, payment.preCheckoutQueryId)
    expect(answers).toHaveLength(1)
    expect(answers[0]).toMatchObject({ viaWebhookReply: true, params: { ok: false } })
    expect(String(answers[0]!.params.error_message)).not.toBe('')
    expect(sim.transactions.filter((t) => t.source?.invoice_payload === order.id)).toEqual([])
  })

  it('with preCheckoutWebhookReply false, answers by a call of its own', async () => {
    // A server of its own on a database of its own: closing a server closes its store.
    const other = await createTestDatabase(kind)
    const byCall = await startServer(sim, other.open(), { preCheckoutWebhookReply: false })
    try {
      const api = userApi(sim, byCall.url, 5103)
      const order = await api.createOrder('magic-book')
      const payment = await sim.pay(order.invoiceUrl, { userId: 5103 })
      expect(payment.outcome).toBe('paid')
      await sim.idle()
      const answers = answersOf(sim, payment.preCheckoutQueryId)
      expect(answers).toHaveLength(1)
      expect(answers[0]!.ok).toBe(true)
      expect(answers[0]!.viaWebhookReply).toBeUndefined()
      expect((await api.getOrder(order.id)).status).toBe('paid')
    } finally {
      await byCall.close()
      await other.remove()
      // The webhook is the first server's again.
      await byReply.pay.telegram.setWebhook(`${byReply.url}/telegram/webhook`, {
        secret_token: 'test_webhook_secret-123',
      })
    }
  })
})
