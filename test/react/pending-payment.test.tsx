// @vitest-environment happy-dom
// A Mini App closed mid-payment: the next launch (same storage) finds the payment and resumes it.
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import type { InvoiceOutcome, Order } from 'tma-pay'
import { PayButton, usePendingPayment } from 'tma-pay/react'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createUser,
  memoryStorage,
  never,
  ordersOf,
  Providers,
  poll,
  type Stack,
  simPay,
  startStack,
} from '../helpers/react-stack'

/** What an app shows on launch: the payment it left, and a way to finish it. */
function ResumeBanner({ onPaid }: { onPaid?: (order: Order) => void }) {
  const { pending, hasPending, resume, discard } = usePendingPayment({ onPaid })
  const [result, setResult] = useState('')
  return (
    <>
      <p>{hasPending ? `Pending ${pending?.orderId}` : 'Nothing pending'}</p>
      <button type="button" onClick={async () => setResult((await resume())?.status ?? 'none')}>
        Resume
      </button>
      <button type="button" onClick={discard}>
        Discard
      </button>
      <output>{result}</output>
    </>
  )
}

const result = () => screen.getByRole('status').textContent

describe('usePendingPayment', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack?.close())
  afterEach(() => cleanup())

  it('finds a payment left by a closed app, and resume() reopens the invoice and ends paid', async () => {
    let appDies = true
    const user = createUser(stack, {
      act: async (url, userId): Promise<InvoiceOutcome> => {
        if (appDies) return never()
        await simPay(stack, url, userId)
        return 'paid'
      },
    })
    const first = render(
      <Providers checkout={user.launch()}>
        <PayButton product={{ id: 'magic-book', amount: 50 }} />
      </Providers>,
    )
    await userEvent.click(screen.getByRole('button'))
    await poll(() => user.opened.length).toBe(1)
    first.unmount() // the WebView is gone with the invoice open

    appDies = false
    const onPaid = vi.fn()
    render(
      <Providers checkout={user.launch()}>
        <ResumeBanner onPaid={onPaid} />
      </Providers>,
    )
    const [order] = (await user.client.listOrders()).data
    expect(screen.getByText(`Pending ${order!.id}`)).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }))
    await poll(() => screen.getByRole('status').textContent).toBe('paid')
    expect(screen.getByText('Nothing pending')).toBeTruthy()
    expect(user.opened).toEqual([order!.invoiceUrl, order!.invoiceUrl])
    expect(onPaid).toHaveBeenCalledTimes(1)
    expect(await ordersOf(user)).toBe(1)

    await userEvent.click(screen.getByRole('button', { name: 'Resume' }))
    await poll(() => screen.getByRole('status').textContent).toBe('none')
  })

  it('shows the result of a payment made while the app was closed, without reopening the invoice', async () => {
    const user = createUser(stack, {
      act: async (url, userId) => {
        await simPay(stack, url, userId)
        return never() // paid, then the app died before invoice_closed
      },
    })
    const first = render(
      <Providers checkout={user.launch()}>
        <PayButton product={{ id: 'magic-book', amount: 50 }} />
      </Providers>,
    )
    await userEvent.click(screen.getByRole('button'))
    await poll(async () => (await user.client.listOrders({ status: 'paid' })).totalCount).toBe(1)
    first.unmount()

    render(
      <Providers checkout={user.launch()}>
        <ResumeBanner />
      </Providers>,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }))
    await poll(result).toBe('paid')
    expect(user.opened).toHaveLength(1)
  })

  it('discard() forgets the pending payment', async () => {
    const user = createUser(stack, { act: () => never() })
    const first = render(
      <Providers checkout={user.launch()}>
        <PayButton product={{ id: 'gem', amount: 5 }} />
      </Providers>,
    )
    await userEvent.click(screen.getByRole('button'))
    await poll(() => user.opened.length).toBe(1)
    first.unmount()
    render(
      <Providers checkout={user.launch()}>
        <ResumeBanner />
      </Providers>,
    )
    expect(screen.getByText(/^Pending ord_/)).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }))
    expect(screen.getByText('Nothing pending')).toBeTruthy()
    expect(user.launch().hasPendingPayment()).toBe(false)
  })

  it.each([
    ['garbage', '{not json'],
    ['a wrong shape', JSON.stringify({ state: { pending: { orderId: 42 } }, version: 1 })],
    [
      'an old version',
      JSON.stringify({
        state: {
          pending: {
            orderId: 'ord_1',
            idempotencyKey: 'k',
            invoiceUrl: 'https://t.me/$abc',
            productId: 'magic-book',
            startedAt: new Date().toISOString(),
          },
        },
        version: 0,
      }),
    ],
    [
      'an expired payment',
      JSON.stringify({
        state: {
          pending: {
            orderId: 'ord_1',
            idempotencyKey: 'k',
            invoiceUrl: 'https://t.me/$abc',
            productId: 'magic-book',
            startedAt: '2020-01-01T00:00:00Z',
          },
        },
        version: 1,
      }),
    ],
  ])('ignores storage holding %s', async (_, stored) => {
    const storage = memoryStorage()
    storage.items.set('tma-pay:pending-payment', stored)
    const user = createUser(stack, { storage })
    render(
      <Providers checkout={user.launch()}>
        <ResumeBanner />
      </Providers>,
    )
    expect(screen.getByText('Nothing pending')).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }))
    await poll(result).toBe('none')
    expect(user.requests).toEqual([])
  })
})
