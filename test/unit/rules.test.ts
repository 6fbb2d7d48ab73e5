// Unit tests of the order rules the server and the fake client share (src/core), the catalog checks, the
// ledger mapping and the ids. test/unit/ imports src/ directly: these are internals.
import { describe, expect, it } from 'vitest'
import { newOrderId, sortableId } from '../../src/core/ids'
import { expiryDeadline, maxInvoiceAmount, newOrder, subscriptionOf } from '../../src/core/order-rules'
import { productProblems } from '../../src/server/catalog'
import { pastLookback, paymentFromTransaction, refundFromTransaction } from '../../src/server/ledger'

const product = { id: 'gem', title: 'Gem', description: 'A gem.', amount: 5, maxQuantity: 10 }

describe('order rules', () => {
  it('builds a new order from the catalog, never from the client', () => {
    const now = new Date('2026-01-01T00:00:00Z')
    const order = newOrder(product, {
      id: 'ord_1',
      userId: 7,
      quantity: 3,
      metadata: { a: 'b' },
      invoiceUrl: 'https://t.me/$x',
      ttlMs: 60_000,
      now,
    })
    expect(order).toMatchObject({
      amount: 15,
      currency: 'XTR',
      status: 'created',
      expiresAt: '2026-01-01T00:01:00.000Z',
    })
    expect(order.subscription).toBeUndefined()
  })
  it('gives a processing order time from its approval before it may expire', () => {
    const order = {
      ...newOrder(product, {
        id: 'o',
        userId: 1,
        quantity: 1,
        metadata: {},
        invoiceUrl: '',
        ttlMs: 1000,
        now: new Date(0),
      }),
    }
    expect(expiryDeadline(order, 60_000)).toBe(1000)
    const approved = { ...order, status: 'processing' as const, updatedAt: new Date(900).toISOString() }
    expect(expiryDeadline(approved, 60_000)).toBe(60_900)
  })
  it('shows a subscription active while paid and its period runs', () => {
    const base = newOrder(
      { ...product, subscriptionPeriod: 2_592_000 },
      { id: 'o', userId: 1, quantity: 1, metadata: {}, invoiceUrl: '', ttlMs: 1000 },
    )
    const paid = {
      ...base,
      status: 'paid' as const,
      subscription: { period: 2_592_000, expiresAt: '2026-02-01T00:00:00Z' },
    }
    expect(subscriptionOf(paid, Date.parse('2026-01-15')).active).toBe(true)
    expect(subscriptionOf(paid, Date.parse('2026-03-01')).active).toBe(false)
    expect(subscriptionOf({ ...paid, status: 'refunded' }, Date.parse('2026-01-15')).active).toBe(false)
  })
  it("knows Telegram's invoice limits per currency", () => {
    expect(maxInvoiceAmount('XTR')).toBe(100_000)
    expect(maxInvoiceAmount('USD')).toBe(2 ** 31 - 1)
  })
})

describe('catalog checks', () => {
  it('accepts a sound product and names every problem of a bad one', () => {
    expect(productProblems(product)).toEqual([])
    const problems = productProblems({ id: 'bad id', title: '', description: '', amount: 200_000 } as never)
    expect(problems.map((problem) => problem.split(': ')[1]?.split(' ')[0])).toEqual([
      'id',
      'title',
      'description',
      'amount',
    ])
  })
})

describe('the Star ledger', () => {
  const user = { id: 7, is_bot: false, first_name: 'T' }
  it('reads incoming invoice payments and outgoing refunds, and nothing else', () => {
    const paid = {
      id: 'c1',
      amount: 5,
      date: 100,
      source: { type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: 'ord_1' },
    }
    const refund = {
      id: 'c1',
      amount: 5,
      date: 200,
      receiver: { type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: 'ord_1' },
    }
    const gift = {
      id: 'g',
      amount: 5,
      date: 300,
      source: { type: 'user', transaction_type: 'gift_purchase', user },
    }
    expect(paymentFromTransaction(paid as never)).toEqual({
      payment: {
        telegramPaymentChargeId: 'c1',
        invoicePayload: 'ord_1',
        userId: 7,
        amount: 5,
        currency: 'XTR',
        source: 'reconcile',
      },
      date: 100,
    })
    expect(paymentFromTransaction(refund as never)).toBeUndefined()
    expect(refundFromTransaction(refund as never)).toEqual({
      chargeId: 'c1',
      invoicePayload: 'ord_1',
      amount: 5,
    })
    expect(refundFromTransaction(paid as never)).toBeUndefined()
    expect(paymentFromTransaction(gift as never)).toBeUndefined()
  })
  it('stops paging past the lookback only when pages run newest first', () => {
    const page = (...dates: number[]) => dates.map((date) => ({ id: String(date), amount: 1, date }))
    expect(pastLookback(page(300, 200, 100) as never, 150)).toBe(true)
    expect(pastLookback(page(300, 200) as never, 150)).toBe(false)
    expect(pastLookback(page(100, 200, 300) as never, 150)).toBe(false)
  })
})

describe('ids', () => {
  it('sort by creation, also within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newOrderId())
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(1000)
    expect(ids[0]).toMatch(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(sortableId(0).slice(0, 10)).toBe('0000000000')
  })
})
