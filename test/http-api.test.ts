// The HTTP contract's edges, called with app.request()-style fetches (no network to the pay server).
import { createPayServer, type PayServer } from 'tma-pay/server'
import { signInitData, type TelegramSimulator } from 'tma-pay/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createTestDatabase,
  storeKinds,
  type TestDatabase,
  testProducts,
  webhookSecret,
} from './helpers/stack'

describe.each(storeKinds)('HTTP API on %s', (kind) => {
  let sim: TelegramSimulator
  let database: TestDatabase
  let pay: PayServer
  let userId = 7000

  beforeAll(async () => {
    sim = await createSimulator()
    database = await createTestDatabase(kind)
    pay = createPayServer({
      botToken: sim.botToken,
      apiRoot: sim.url,
      webhookSecret,
      products: testProducts,
      store: database.open(),
      basePath: '/api/pay',
      rateLimit: { max: 3, windowMs: 60_000 },
      maxBodyBytes: 2048,
      backgroundIntervalMs: false,
      logger: { info() {}, warn() {}, error() {} },
    })
  })
  afterAll(async () => {
    await pay?.close()
    await sim?.close()
    await database?.remove()
  })

  const request = (path: string, init: RequestInit & { user?: number; initData?: string } = {}) => {
    const headers = new Headers(init.headers)
    const initData = init.initData ?? (init.user === undefined ? undefined : sim.signInitData(init.user))
    if (initData !== undefined) headers.set('authorization', `tma ${initData}`)
    if (init.body !== undefined && !headers.has('content-type'))
      headers.set('content-type', 'application/json')
    return pay.fetch(new Request(`http://shop.test/api/pay${path}`, { ...init, headers }))
  }
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error

  it('serves health and the catalog without init data, hiding inactive products', async () => {
    expect(await (await request('/healthz')).json()).toEqual({ ok: true })
    const products = (await (await request('/products')).json()) as { data: { id: string }[] }
    expect(products.data.map((p) => p.id)).toEqual(['magic-book', 'gem'])
  })

  it('answers 401 with a code for missing, malformed, forged and expired init data', async () => {
    const missing = await request('/orders')
    expect(missing.status).toBe(401)
    expect((await errorOf(missing)).code).toBe('unauthorized')

    const malformed = await request('/orders', { headers: { authorization: 'Bearer abc' } })
    expect(malformed.status).toBe(401)
    expect((await errorOf(malformed)).code).toBe('unauthorized')

    const forged = signInitData({ botToken: '111:another-bot-token', user: { id: 1, first_name: 'Eve' } })
    const forgedResponse = await request('/orders', { initData: forged })
    expect(forgedResponse.status).toBe(401)
    expect((await errorOf(forgedResponse)).code).toBe('unauthorized')

    const tampered = sim.signInitData(42).replace('%22id%22%3A42', '%22id%22%3A43')
    expect(tampered).not.toBe(sim.signInitData(42))
    const tamperedResponse = await request('/orders', { initData: tampered })
    expect(tamperedResponse.status).toBe(401)

    const old = signInitData({
      botToken: sim.botToken,
      user: { id: 1, first_name: 'Old' },
      authDate: new Date(Date.now() - 2 * 86_400_000),
    })
    const expired = await request('/orders', { initData: old })
    expect(expired.status).toBe(401)
    expect((await errorOf(expired)).code).toBe('init_data_expired')
  })

  it('answers 4xx with a code, never 500, for malformed JSON, wrong types and oversize bodies', async () => {
    const user = userId++
    const cases: [string, RequestInit, number, string][] = [
      ['malformed JSON', { method: 'POST', body: '{"productId":' }, 400, 'validation_failed'],
      ['empty body', { method: 'POST' }, 400, 'validation_failed'],
      ['array body', { method: 'POST', body: '[]' }, 400, 'validation_failed'],
      [
        'numeric productId',
        { method: 'POST', body: JSON.stringify({ productId: 5 }) },
        400,
        'validation_failed',
      ],
      [
        'string quantity',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', quantity: '2' }) },
        400,
        'validation_failed',
      ],
      [
        'zero quantity',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', quantity: 0 }) },
        400,
        'validation_failed',
      ],
      [
        'quantity over the limit',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', quantity: 11 }) },
        400,
        'validation_failed',
      ],
      [
        'fractional quantity',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', quantity: 1.5 }) },
        400,
        'validation_failed',
      ],
      [
        'metadata of numbers',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', metadata: { a: 1 } }) },
        400,
        'validation_failed',
      ],
      [
        'unknown product',
        { method: 'POST', body: JSON.stringify({ productId: 'nope' }) },
        404,
        'product_not_found',
      ],
      [
        'inactive product',
        { method: 'POST', body: JSON.stringify({ productId: 'retired' }) },
        409,
        'product_unavailable',
      ],
      [
        'oversize body',
        { method: 'POST', body: JSON.stringify({ productId: 'gem', metadata: { a: 'x'.repeat(4000) } }) },
        413,
        'payload_too_large',
      ],
      [
        'bad idempotency key',
        {
          method: 'POST',
          body: JSON.stringify({ productId: 'gem' }),
          headers: { 'idempotency-key': 'x'.repeat(300) },
        },
        400,
        'validation_failed',
      ],
    ]
    for (const [name, init, status, code] of cases) {
      const response = await request('/orders', { ...init, user })
      expect({ name, status: response.status, code: (await errorOf(response)).code }).toEqual({
        name,
        status,
        code,
      })
    }
    const badStatus = await request('/orders/ord_00000000000000000000000000/client-status', {
      method: 'POST',
      body: '{"status":"won"}',
      user,
    })
    expect(badStatus.status).toBe(400)
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'status=rich',
      'starting_after=x',
      'created_gte=yesterday',
    ]) {
      const response = await request(`/orders?${query}`, { user })
      expect({ query, status: response.status }).toEqual({ query, status: 400 })
    }
    const webhookGarbage = await request('/telegram/webhook', {
      method: 'POST',
      body: '{not json',
      headers: { 'x-telegram-bot-api-secret-token': webhookSecret },
    })
    expect(webhookGarbage.status).toBe(400)
    // Nothing half-written: the user has no orders after all that.
    const list = (await (await request('/orders', { user })).json()) as { totalCount: number }
    expect(list.totalCount).toBe(0)
  })

  it('answers 404 with a code for unknown routes and orders', async () => {
    const route = await request('/nowhere')
    expect(route.status).toBe(404)
    expect((await errorOf(route)).code).toBe('not_found')
    const order = await request('/orders/ord_00000000000000000000000000', { user: userId++ })
    expect(order.status).toBe(404)
  })

  it('limits how many orders one user creates per window', async () => {
    const user = userId++
    const create = () =>
      request('/orders', { method: 'POST', body: JSON.stringify({ productId: 'gem' }), user })
    for (let i = 0; i < 3; i++) expect((await create()).status).toBe(201)
    const limited = await create()
    expect(limited.status).toBe(429)
    expect((await errorOf(limited)).code).toBe('rate_limited')
    // Another user is not affected.
    expect(
      (
        await request('/orders', {
          method: 'POST',
          body: JSON.stringify({ productId: 'gem' }),
          user: userId++,
        })
      ).status,
    ).toBe(201)
  })

  it('limits creations with an Idempotency-Key too: a repeat takes no slot, and a refused key stays free', async () => {
    const user = userId++
    const create = (key: string) =>
      request('/orders', {
        method: 'POST',
        body: JSON.stringify({ productId: 'gem' }),
        headers: { 'idempotency-key': key },
        user,
      })
    const first = await create('key-1')
    expect(first.status).toBe(201)
    const order = (await first.json()) as { id: string }
    // A repeat answers with the same order and counts nothing.
    const repeat = await create('key-1')
    expect(repeat.status).toBe(200)
    expect(((await repeat.json()) as { id: string }).id).toBe(order.id)
    expect((await create('key-2')).status).toBe(201)
    expect((await create('key-3')).status).toBe(201)
    const limited = await create('key-4')
    expect(limited.status).toBe(429)
    expect((await errorOf(limited)).code).toBe('rate_limited')
    // The refused creation let its key go: asked again, it is refused again, not held "in progress".
    const again = await create('key-4')
    expect(again.status).toBe(429)
    expect((await errorOf(again)).code).toBe('rate_limited')
  })

  it('keeps no order when Telegram refuses to make the invoice link, so a retry works', async () => {
    const user = userId++
    const key = crypto.randomUUID()
    sim.failNext('createInvoiceLink', { error_code: 500, description: 'Internal Server Error' })
    const failed = await request('/orders', {
      method: 'POST',
      body: JSON.stringify({ productId: 'gem' }),
      headers: { 'idempotency-key': key },
      user,
    })
    expect(failed.status).toBe(502)
    expect((await errorOf(failed)).code).toBe('telegram_error')
    const retried = await request('/orders', {
      method: 'POST',
      body: JSON.stringify({ productId: 'gem' }),
      headers: { 'idempotency-key': key },
      user,
    })
    expect(retried.status).toBe(201)
    const list = (await (await request('/orders', { user })).json()) as { totalCount: number }
    expect(list.totalCount).toBe(1)
  })
})
