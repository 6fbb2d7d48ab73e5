// The framework-free core: the status machine and the HTTP client, as `tma-pay` exports them.
import { createPayClient, isSettled, PayError } from 'tma-pay'
import { nextStatus, ORDER_STATUSES } from 'tma-pay/server'
import { describe, expect, it } from 'vitest'

describe('status machine', () => {
  it('pays an order from any unpaid state, and only Telegram does', () => {
    for (const status of ['created', 'pending', 'processing', 'failed', 'cancelled', 'expired'] as const) {
      expect(nextStatus(status, 'payment_succeeded')).toBe('paid')
    }
    expect(nextStatus('paid', 'payment_succeeded')).toBeUndefined()
    expect(nextStatus('refunded', 'payment_succeeded')).toBeUndefined()
  })

  it('lets no client hint undo or pre-empt what Telegram decided', () => {
    for (const hint of ['client_cancelled', 'client_failed', 'client_opened'] as const) {
      expect(nextStatus('processing', hint)).toBeUndefined()
      expect(nextStatus('paid', hint)).toBeUndefined()
      expect(nextStatus('refunded', hint)).toBeUndefined()
    }
    expect(nextStatus('pending', 'client_cancelled')).toBe('cancelled')
    expect(nextStatus('created', 'client_failed')).toBe('failed')
  })

  it('refunds paid orders only, and expires unpaid ones only', () => {
    expect(ORDER_STATUSES.filter((s) => nextStatus(s, 'refunded'))).toEqual(['paid'])
    expect(ORDER_STATUSES.filter((s) => nextStatus(s, 'expired'))).toEqual([
      'created',
      'pending',
      'processing',
      'cancelled',
    ])
  })

  it('calls paid, failed, cancelled, expired and refunded settled', () => {
    expect(ORDER_STATUSES.filter(isSettled)).toEqual(['paid', 'failed', 'cancelled', 'expired', 'refunded'])
  })
})

describe('createPayClient', () => {
  const order = { id: 'ord_1', status: 'created' }

  it('sends init data and the idempotency key, and parses the answer', async () => {
    const seen: Request[] = []
    const client = createPayClient({
      baseUrl: 'https://shop.test/api/pay/',
      initData: () => 'user=x&hash=y',
      fetch: async (input, init) => {
        seen.push(new Request(input, init))
        return Response.json(order, { status: 201 })
      },
    })
    expect(await client.createOrder({ productId: 'gem', quantity: 2 }, { idempotencyKey: 'k1' })).toEqual(
      order,
    )
    const request = seen[0]!
    expect(request.url).toBe('https://shop.test/api/pay/orders')
    expect(request.headers.get('authorization')).toBe('tma user=x&hash=y')
    expect(request.headers.get('idempotency-key')).toBe('k1')
    expect(await request.json()).toEqual({ productId: 'gem', quantity: 2 })
  })

  it('builds list queries from filters', async () => {
    const urls: string[] = []
    const client = createPayClient({
      baseUrl: 'https://shop.test',
      fetch: async (input) => {
        urls.push(String(input))
        return Response.json({ data: [], hasMore: false, totalCount: 0 })
      },
    })
    await client.listOrders({
      status: 'paid',
      limit: 5,
      startingAfter: 'ord_X',
      createdGte: '2026-01-01T00:00:00.000Z',
    })
    expect(urls[0]).toBe(
      'https://shop.test/orders?status=paid&limit=5&starting_after=ord_X&created_gte=2026-01-01T00%3A00%3A00.000Z',
    )
  })

  it('retries GETs after network errors with backoff, then succeeds', async () => {
    let attempts = 0
    const client = createPayClient({
      baseUrl: 'https://shop.test',
      retryDelayMs: 1,
      fetch: async () => {
        attempts++
        if (attempts < 3) throw new TypeError('fetch failed')
        return Response.json(order)
      },
    })
    expect(await client.getOrder('ord_1')).toEqual(order)
    expect(attempts).toBe(3)
  })

  it('gives up after its retries with a network_error PayError', async () => {
    let attempts = 0
    const client = createPayClient({
      baseUrl: 'https://shop.test',
      retries: 2,
      retryDelayMs: 1,
      fetch: async () => {
        attempts++
        throw new TypeError('fetch failed')
      },
    })
    const error = await client.getOrder('ord_1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PayError)
    expect(error).toMatchObject({ code: 'network_error', status: 0 })
    expect(attempts).toBe(2)
  })

  it("turns error bodies into PayError with the server's code, without retrying 4xx", async () => {
    let attempts = 0
    const client = createPayClient({
      baseUrl: 'https://shop.test',
      fetch: async () => {
        attempts++
        return Response.json(
          { error: { code: 'product_not_found', message: 'No product "x".' } },
          { status: 404 },
        )
      },
    })
    const error = await client.createOrder({ productId: 'x' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'PayError',
      code: 'product_not_found',
      status: 404,
      message: 'No product "x".',
    })
    expect(attempts).toBe(1)
  })

  it('does not retry client-status reports or creation on a 4xx, but retries a 503', async () => {
    let attempts = 0
    const client = createPayClient({
      baseUrl: 'https://shop.test',
      retryDelayMs: 1,
      fetch: async () => {
        attempts++
        return attempts === 1 ? new Response('busy', { status: 503 }) : Response.json(order, { status: 201 })
      },
    })
    expect(await client.createOrder({ productId: 'gem' })).toEqual(order)
    expect(attempts).toBe(2)
  })
})
