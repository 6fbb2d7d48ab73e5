// @vitest-environment happy-dom
// PayButton (and usePayment under it) against the real pay server, with the simulator playing the
// user in Telegram's invoice sheet.
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { StrictMode } from 'react'
import type { Order, PayError, PaymentResult } from 'tma-pay'
import { PayButton } from 'tma-pay/react'
import { signInitData, testUser } from 'tma-pay/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createUser,
  ordersOf,
  Providers,
  payAndSay,
  poll,
  type Stack,
  startStack,
} from '../helpers/react-stack'

const magicBook = { id: 'magic-book', amount: 50 }
const status = () => screen.getByRole('status').textContent
const button = () => screen.getByRole('button')

function callbacks() {
  return {
    onPaid: vi.fn<(order: Order) => void>(),
    onError: vi.fn<(error: PayError) => void>(),
    onSettled: vi.fn<(result: PaymentResult) => void>(),
  }
}

describe('PayButton', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack?.close())
  afterEach(() => {
    cleanup()
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('pays: "Paid" is announced from the server\'s order and onPaid runs once', async () => {
    const user = createUser(stack)
    const on = callbacks()
    render(
      <Providers checkout={user.launch()}>
        <PayButton productId="magic-book" {...on} />
      </Providers>,
    )
    // The price comes from the server's catalog.
    await userEvent.click(await screen.findByRole('button', { name: 'Pay ⭐ 50' }))
    await poll(status).toBe('Paid')
    expect(button().textContent).toBe('Paid')
    expect(button()).toHaveProperty('disabled', true)
    expect(button().getAttribute('aria-busy')).toBe('false')
    expect(on.onPaid).toHaveBeenCalledTimes(1)
    expect(on.onPaid.mock.calls[0]![0]).toMatchObject({ productId: 'magic-book', status: 'paid', amount: 50 })
    expect(on.onSettled).toHaveBeenCalledTimes(1)
    expect(on.onError).not.toHaveBeenCalled()
    expect(user.haptics).toEqual(['success'])
  })

  it('is busy and disabled while the payment is under way', async () => {
    let closeInvoice: (outcome: 'cancelled') => void = () => {}
    const user = createUser(stack, { act: () => new Promise((resolve) => (closeInvoice = resolve)) })
    render(
      <Providers checkout={user.launch()}>
        <PayButton product={magicBook} />
      </Providers>,
    )
    await userEvent.click(button())
    await poll(() => user.opened.length).toBe(1)
    expect(button().textContent).toBe('Waiting for payment…')
    expect(button().getAttribute('aria-busy')).toBe('true')
    expect(button()).toHaveProperty('disabled', true)
    expect(button().querySelector('.tma-pay-spinner')).not.toBeNull()
    closeInvoice('cancelled')
    await poll(status).toBe('Payment cancelled')
  })

  it('cancels when the user closes the invoice, and offers to try again', async () => {
    const user = createUser(stack, { act: async () => 'cancelled' })
    const on = callbacks()
    render(
      <Providers checkout={user.launch()}>
        <PayButton product={magicBook} {...on} />
      </Providers>,
    )
    await userEvent.click(button())
    await poll(status).toBe('Payment cancelled')
    expect(button().textContent).toBe('Try again')
    expect(button()).toHaveProperty('disabled', false)
    expect(on.onPaid).not.toHaveBeenCalled()
    expect(on.onSettled).toHaveBeenCalledTimes(1)
    expect(on.onSettled.mock.calls[0]![0].status).toBe('cancelled')
  })

  it('ends paid when Telegram reports "cancelled" for a payment the user made (macOS)', async () => {
    const user = createUser(stack, { act: payAndSay(stack, 'cancelled') })
    const on = callbacks()
    render(
      <Providers checkout={user.launch()}>
        <PayButton product={magicBook} {...on} />
      </Providers>,
    )
    await userEvent.click(button())
    await poll(status).toBe('Paid')
    expect(on.onPaid).toHaveBeenCalledTimes(1)
  })

  it("shows a failure with the server's message, and a retry works", async () => {
    // The Mini App was left open for days: its init data expired. Reopened, it has fresh init data.
    let initData = ''
    const user = createUser(stack, { initData: () => initData })
    initData = signInitData({
      botToken: stack.botToken,
      user: testUser(user.userId),
      authDate: new Date(Date.now() - 3 * 86_400_000),
    })
    const on = callbacks()
    render(
      <Providers checkout={user.launch()}>
        <PayButton product={magicBook} {...on} />
      </Providers>,
    )
    await userEvent.click(button())
    await poll(status).toBe(
      'Payment failed: The init data has expired: reopen the Mini App to get fresh init data.',
    )
    expect(on.onError).toHaveBeenCalledTimes(1)
    expect(on.onError.mock.calls[0]![0].code).toBe('init_data_expired')
    expect(user.haptics).toEqual(['error'])

    initData = user.initData
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    await poll(status).toBe('Paid')
    expect(on.onPaid).toHaveBeenCalledTimes(1)
    expect(on.onError).toHaveBeenCalledTimes(1)
    expect(await ordersOf(user)).toBe(1)
  })

  it('makes one order for a double tap', async () => {
    const user = createUser(stack)
    const on = callbacks()
    render(
      <Providers checkout={user.launch()}>
        <PayButton product={magicBook} {...on} />
      </Providers>,
    )
    await userEvent.dblClick(button())
    await poll(status).toBe('Paid')
    expect(await ordersOf(user)).toBe(1)
    expect(user.opened).toHaveLength(1)
    expect(user.requests.filter((request) => request === 'POST /orders')).toHaveLength(1)
    expect(on.onPaid).toHaveBeenCalledTimes(1)
  })

  it('makes no extra order under StrictMode', async () => {
    const user = createUser(stack)
    const on = callbacks()
    render(
      <StrictMode>
        <Providers checkout={user.launch()}>
          <PayButton productId="magic-book" {...on} />
        </Providers>
      </StrictMode>,
    )
    await userEvent.click(await screen.findByRole('button', { name: 'Pay ⭐ 50' }))
    await poll(status).toBe('Paid')
    expect(await ordersOf(user)).toBe(1)
    expect(user.opened).toHaveLength(1)
    expect(on.onPaid).toHaveBeenCalledTimes(1)
    expect(on.onSettled).toHaveBeenCalledTimes(1)
  })

  it.each([
    ['the live stream', false],
    ['polling', true],
  ])(
    'leaves no warnings, timers or requests when unmounted mid-payment, watching over %s',
    async (_, noStream) => {
      // Only the page's own timers are faked (the server runs in another process); they advance with real time.
      vi.useFakeTimers({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
        shouldAdvanceTime: true,
      })
      const errors = vi.spyOn(console, 'error')
      const warnings = vi.spyOn(console, 'warn')
      // The invoice closes without a word ('unknown'): the checkout polls the order, which stays unpaid.
      const user = createUser(stack, { act: async () => 'unknown', noStream })
      const on = callbacks()
      // React Query's cache collects unused entries on a timer of its own; Infinity keeps that one out of the count.
      const queryClient = new QueryClient({
        defaultOptions: { queries: { gcTime: Number.POSITIVE_INFINITY } },
      })
      const { unmount } = render(
        <Providers checkout={user.launch()} queryClient={queryClient}>
          <PayButton product={magicBook} {...on} />
        </Providers>,
      )
      await userEvent.click(button())
      await poll(() => button().textContent).toBe('Confirming payment…')
      const polls = () => user.requests.filter((request) => /^GET \/orders\/ord_\w+$/.test(request)).length
      const streams = () =>
        user.requests.filter((request) => /^GET \/orders\/ord_\w+\/stream$/.test(request)).length
      if (noStream) await poll(polls).toBeGreaterThan(2)
      else await poll(streams).toBe(1)
      await poll(() => vi.getTimerCount()).toBeGreaterThan(0)

      unmount()
      await poll(() => vi.getTimerCount()).toBe(0)
      const after = user.requests.length
      await new Promise((resolve) => window.setTimeout(resolve, 400))
      expect(user.requests.length).toBe(after)
      expect(vi.getTimerCount()).toBe(0)
      expect(errors).not.toHaveBeenCalled()
      expect(warnings).not.toHaveBeenCalled()
      expect(on.onSettled).not.toHaveBeenCalled()
      // The payment stays stored, for the next launch to resume.
      expect(user.launch().hasPendingPayment()).toBe(true)
    },
  )
})
