// Signed notifications to the app's backend: retried until a 2xx with the same event id, once after that,
// and across a restart of the server (the pending retry lives in the store's outbox).
import { createHmac } from 'node:crypto'
import type { Order } from 'tma-pay'
import { createNotifier, signNotifyBody, verifyNotifySignature } from 'tma-pay/server'
import type { TelegramSimulator } from 'tma-pay/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { failFirst, type NotifyReceiver, type ReceivedNotification, startReceiver } from './helpers/receiver'
import {
  createSimulator,
  createTestDatabase,
  eventually,
  sleep,
  startServer,
  storeKinds,
  type TestDatabase,
  userApi,
} from './helpers/stack'

const secret = 'notify-secret-for-tests'

/** Every notification is signed over its exact raw body, by the helper and by a plain HMAC. */
function expectSigned(entry: ReceivedNotification) {
  const header = entry.headers['x-tma-pay-signature'] as string
  expect(header).toBe(`sha256=${createHmac('sha256', secret).update(entry.rawBody).digest('hex')}`)
  expect(verifyNotifySignature(entry.rawBody, header, secret)).toBe(true)
  expect(entry.headers['content-type']).toBe('application/json')
}

describe('verifyNotifySignature', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'order.paid', order: { id: 'ord_1' } })
  const header = signNotifyBody(body, secret)

  it('accepts the signature of the exact body, in either hex case', () => {
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(verifyNotifySignature(body, header, secret)).toBe(true)
    expect(
      verifyNotifySignature(Buffer.from(body), header.toUpperCase().replace('SHA256=', 'sha256='), secret),
    ).toBe(true)
  })

  it('rejects another body, another secret, and malformed or missing headers', () => {
    expect(verifyNotifySignature(`${body} `, header, secret)).toBe(false)
    expect(verifyNotifySignature(body, header, 'another-secret')).toBe(false)
    expect(verifyNotifySignature(body, header, '')).toBe(false)
    for (const bad of [
      undefined,
      null,
      '',
      'sha256=',
      header.slice(7),
      `sha1=${header.slice(7)}`,
      `${header}00`,
      'sha256=zz'.padEnd(71, 'z'),
    ]) {
      expect(verifyNotifySignature(body, bad, secret)).toBe(false)
    }
  })
})

describe('createNotifier', () => {
  const order = { id: 'ord_test', status: 'refunded' } as Order
  let receiver: NotifyReceiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it('POSTs { id, type, order } signed, and resolves on a 2xx', async () => {
    receiver = await startReceiver()
    const notifier = createNotifier({ url: receiver.url, secret })
    await notifier.onRefunded(order, { eventId: 'evt_42', type: 'order.refunded', attempt: 1 })
    expect(receiver.received).toHaveLength(1)
    expect(receiver.received[0]!.body).toEqual({ id: 'evt_42', type: 'order.refunded', order })
    expectSigned(receiver.received[0]!)
  })

  it('throws on a non-2xx answer, a network error and a timeout, so the outbox retries', async () => {
    receiver = await startReceiver(() => 503)
    const context = { eventId: 'evt_1', type: 'order.paid' as const, attempt: 1 }
    await expect(createNotifier({ url: receiver.url, secret }).onPaid(order, context)).rejects.toThrow(
      /answered 503/,
    )
    const url = receiver.url
    await receiver.close()
    receiver = undefined
    await expect(createNotifier({ url, secret }).onPaid(order, context)).rejects.toThrow(/failed/)
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      )
    await expect(
      createNotifier({ url, secret, fetch: hanging, timeoutMs: 50 }).onPaid(order, context),
    ).rejects.toThrow(/no answer in 50 ms/)
  })

  it('refuses a missing secret or a URL that is not http(s)', () => {
    expect(() => createNotifier({ url: 'http://127.0.0.1:1/x', secret: '' })).toThrow(/secret/)
    expect(() => createNotifier({ url: 'ftp://example.com/x', secret })).toThrow(/http/)
    expect(() => createNotifier({ url: 'not a url', secret })).toThrow(/not a URL/)
  })
})

describe.each(storeKinds)('notifications on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let receiver: NotifyReceiver

  beforeAll(async () => {
    sim = await createSimulator()
  })
  afterAll(async () => {
    await sim?.close()
  })
  afterEach(async () => {
    await receiver?.close()
    await database?.remove()
  })

  it('retries until the backend answers 2xx, with the same id and a valid signature, then never again', async () => {
    database = await createTestDatabase(kind)
    receiver = await startReceiver(failFirst(2))
    const notifier = createNotifier({ url: receiver.url, secret })
    const server = await startServer(sim, database.open(), { ...notifier })
    try {
      const api = userApi(sim, server.url, 7001)
      const order = await api.createOrder()
      await sim.pay(order.invoiceUrl, { userId: 7001 })
      await eventually(async () => {
        await server.pay.runBackgroundWork()
        return receiver.accepted().length > 0
      })
      // Nothing more after the success, however often the background work runs.
      for (let i = 0; i < 3; i++) {
        await sleep(250)
        await server.pay.runBackgroundWork()
      }
      expect(receiver.received.map((entry) => entry.status)).toEqual([500, 500, 200])
      const [first] = receiver.received
      expect(first!.body.id).toMatch(/\S/)
      for (const entry of receiver.received) {
        expect(entry.body.id).toBe(first!.body.id)
        expect(entry.body.type).toBe('order.paid')
        expect(entry.body.order).toMatchObject({
          id: order.id,
          userId: 7001,
          status: 'paid',
          productId: 'magic-book',
        })
        expectSigned(entry)
      }
    } finally {
      await server.close()
    }
  })

  it('sends order.refunded once for an admin refund, retried with the same id and a valid signature', async () => {
    database = await createTestDatabase(kind)
    // The first notification (order.paid) is taken; the first order.refunded attempt fails.
    receiver = await startReceiver((index) => (index === 1 ? 500 : 200))
    const notifier = createNotifier({ url: receiver.url, secret })
    const adminKey = 'notify-test-admin-key-0123456789abcdef'
    const server = await startServer(sim, database.open(), { ...notifier, adminKey })
    try {
      const api = userApi(sim, server.url, 7003)
      const order = await api.createOrder()
      await sim.pay(order.invoiceUrl, { userId: 7003 })
      await eventually(() => receiver.accepted().length === 1)
      const refund = await fetch(`${server.url}/admin/orders/${order.id}/refund`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}` },
      })
      expect(refund.status).toBe(200)
      await eventually(async () => {
        await server.pay.runBackgroundWork()
        return receiver.accepted().length === 2
      })
      await sim.idle()
      for (let i = 0; i < 3; i++) {
        await sleep(150)
        await server.pay.runBackgroundWork()
      }
      const refunds = receiver.received.filter((entry) => entry.body.type === 'order.refunded')
      expect(refunds.map((entry) => entry.status)).toEqual([500, 200])
      expect(new Set(refunds.map((entry) => entry.body.id)).size).toBe(1)
      for (const entry of refunds) {
        expect(entry.body.order).toMatchObject({ id: order.id, userId: 7003, status: 'refunded' })
        expectSigned(entry)
      }
    } finally {
      await server.close()
    }
  })

  it('sends the retry that was pending when the server stopped from the next instance on the same store', async () => {
    database = await createTestDatabase(kind)
    receiver = await startReceiver(failFirst(2))
    const notifier = createNotifier({ url: receiver.url, secret })
    const first = await startServer(sim, database.open(), {
      ...notifier,
      fulfillment: { retryBaseMs: 300, leaseMs: 2000 },
    })
    const api = userApi(sim, first.url, 7002)
    const order = await api.createOrder()
    await sim.pay(order.invoiceUrl, { userId: 7002 })
    await eventually(() => receiver.received.length === 1)
    await first.close()

    const second = await startServer(sim, database.open(), { ...notifier })
    try {
      await eventually(async () => {
        await second.pay.runBackgroundWork()
        return receiver.accepted().length > 0
      })
      await sleep(300)
      await second.pay.runBackgroundWork()
    } finally {
      await second.close()
    }
    expect(receiver.received.map((entry) => entry.status)).toEqual([500, 500, 200])
    expect(new Set(receiver.received.map((entry) => entry.body.id)).size).toBe(1)
    for (const entry of receiver.received) {
      expect(entry.body.order.id).toBe(order.id)
      expectSigned(entry)
    }
  })
})
