// Chat invoices from the app's backend: POST /admin/invoices (what `tma-pay serve` users call) and
// pay.sendInvoice, on each store. An order like any other: the catalog's price, one per Idempotency-Key, the
// rate limit, already_owned, the built-in webhook's pre-checkout checks and payment path, refunds.
import type { Order } from 'tma-pay'
import type { TelegramSimulator } from 'tma-pay/testing'
import { describe, expect, it } from 'vitest'
import { type RunningServer, storeKinds, testProducts, userApi, useStack } from './helpers/stack'

const adminKey = 'chat-invoices-admin-key-0123456789abcdef'
const products = [
  ...testProducts,
  {
    id: 'spellbook',
    title: 'Spellbook',
    description: 'Yours for good.',
    amount: 30,
    kind: 'non-consumable' as const,
  },
  {
    id: 'club',
    title: 'Club',
    description: 'Monthly.',
    amount: 100,
    subscriptionPeriod: 2_592_000,
  },
]

let nextUserId = 71_000
const newUser = () => nextUserId++

describe.each(storeKinds)('chat invoices on %s', (kind) => {
  let sim: TelegramSimulator
  let server: RunningServer
  const paid: Order[] = []

  useStack(
    kind,
    { adminKey, products, rateLimit: { max: 5, windowMs: 60_000 }, onPaid: (order) => void paid.push(order) },
    (stack) => {
      ;({ sim, server } = stack)
    },
  )

  const send = async (body: unknown, headers: Record<string, string> = {}, key: string | null = adminKey) => {
    const response = await fetch(`${server.url}/admin/invoices`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: response.status, body: await response.json() }
  }

  it('sends the invoice message once per Idempotency-Key; paid through the webhook, it is the user’s order, refundable', async () => {
    const userId = newUser()
    const request = { chatId: userId, userId, productId: 'gem', quantity: 3, metadata: { from: 'backend' } }
    const created = await send(request, { 'idempotency-key': 'order-42' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      userId,
      productId: 'gem',
      quantity: 3,
      amount: 15,
      status: 'created',
      invoiceUrl: '',
      metadata: { from: 'backend' },
    })
    const repeated = await send(request, { 'idempotency-key': 'order-42' })
    expect(repeated).toEqual({ status: 200, body: created.body })
    const invoices = sim.chatInvoices.filter((invoice) => invoice.payload === created.body.id)
    expect(invoices).toEqual([
      expect.objectContaining({
        chatId: userId,
        totalAmount: 15,
        title: 'Gem',
        prices: [{ label: 'Gem × 3', amount: 15 }],
      }),
    ])
    expect(sim.chat(userId).at(-1)?.invoice).toMatchObject({ total_amount: 15, currency: 'XTR' })

    // Another user cannot pay it: the same pre-checkout checks as an invoice link's.
    const stranger = await sim.payChatInvoice(invoices[0]!.messageId, { userId: newUser() })
    expect(stranger.outcome).toBe('refused')
    const payment = await sim.payChatInvoice({ chatId: userId })
    await sim.idle()
    await server.pay.runBackgroundWork()
    expect(payment.outcome).toBe('paid')
    const user = userApi(sim, server.url, userId)
    expect((await user.call('GET', '/orders')).body.data).toEqual([
      expect.objectContaining({ id: created.body.id, status: 'paid', invoiceUrl: '' }),
    ])
    expect(paid.filter((order) => order.id === created.body.id)).toHaveLength(1)

    const refund = await fetch(`${server.url}/admin/orders/${created.body.id}/refund`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    })
    expect(refund.status).toBe(200)
    expect((await user.getOrder(created.body.id)).status).toBe('refunded')
  })

  it('pay.sendInvoice makes the same order from code; a chat Telegram refuses makes no order and frees the key', async () => {
    const userId = newUser()
    const request = { chatId: userId, userId, productId: 'magic-book', idempotencyKey: 'k' }
    const first = await server.pay.sendInvoice(request)
    expect(await server.pay.sendInvoice(request)).toEqual(first)
    expect(sim.chatInvoices.filter((invoice) => invoice.payload === first.id)).toHaveLength(1)
    // The Mini App's own keys are apart from the chat's.
    const fromMiniApp = await userApi(sim, server.url, userId).createOrder(
      'magic-book',
      'k' as ReturnType<typeof crypto.randomUUID>,
    )
    expect(fromMiniApp.id).not.toBe(first.id)

    // The simulator knows private chats only: a group is "chat not found", as for a bot not in it.
    const inGroup = { chatId: -100_123, userId, productId: 'gem', idempotencyKey: 'g' }
    await expect(server.pay.sendInvoice(inGroup)).rejects.toMatchObject({
      code: 'telegram_error',
      details: { description: expect.stringMatching(/chat not found/) },
    })
    const user = userApi(sim, server.url, userId)
    expect(
      ((await user.call('GET', '/orders')).body.data as Order[]).map((order) => order.productId),
    ).toEqual(['magic-book', 'magic-book'])
    const retried = await server.pay.sendInvoice({ ...inGroup, chatId: userId })
    expect(retried).toMatchObject({ productId: 'gem', status: 'created' })
  })

  it('checks the request before any message is sent', async () => {
    const userId = newUser()
    const before = sim.chatInvoices.length
    const refusals = [
      [{ chatId: userId, userId, productId: 'nope' }, 404, 'product_not_found'],
      [{ chatId: userId, userId, productId: 'retired' }, 409, undefined],
      [{ chatId: userId, userId, productId: 'club' }, 400, 'validation_failed'],
      [{ chatId: userId + 1, userId, productId: 'gem' }, 400, 'validation_failed'],
      [{ chatId: 0, userId, productId: 'gem' }, 400, 'validation_failed'],
      [{ chatId: 'not a chat', userId, productId: 'gem' }, 400, 'validation_failed'],
      [{ chatId: userId, userId: -1, productId: 'gem' }, 400, 'validation_failed'],
      [{ chatId: userId, userId, productId: 'gem', quantity: 11 }, 400, undefined],
      [{ chatId: userId, userId, productId: 'gem', metadata: { a: 'x\u0000' } }, 400, 'validation_failed'],
      [[1, 2], 400, 'validation_failed'],
    ] as const
    for (const [body, status, code] of refusals) {
      const answer = await send(body)
      expect([body, answer.status]).toEqual([body, status])
      if (code) expect(answer.body.error.code).toBe(code)
      expect(answer.body.error.message).toBeTruthy()
    }
    expect((await send({ chatId: userId, userId, productId: 'club' })).body.error.message).toMatch(/link/)
    expect((await send({ chatId: userId + 1, userId, productId: 'gem' })).body.error.message).toMatch(
      `chatId ${userId}`,
    )
    expect((await send({ chatId: userId, userId, productId: 'gem' }, {}, null)).status).toBe(401)
    expect((await send({ chatId: userId, userId, productId: 'gem' }, {}, 'wrong-key')).status).toBe(401)
    await expect(
      server.pay.sendInvoice({ chatId: userId, userId: 0, productId: 'gem' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    })
    expect(sim.chatInvoices.length).toBe(before)
  })

  it('counts against the user’s rate limit, and refuses a non-consumable the user owns', async () => {
    const userId = newUser()
    const owned = await server.pay.sendInvoice({ chatId: userId, userId, productId: 'spellbook' })
    expect((await sim.payChatInvoice({ chatId: userId })).outcome).toBe('paid')
    await sim.idle()
    const again = await send({ chatId: userId, userId, productId: 'spellbook' })
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({ code: 'already_owned', details: { orderId: owned.id } })

    const other = newUser()
    for (let index = 0; index < 5; index++)
      expect((await send({ chatId: other, userId: other, productId: 'gem' })).status).toBe(201)
    const limited = await send({ chatId: other, userId: other, productId: 'gem' })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate_limited')
  })
})
