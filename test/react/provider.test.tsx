// @vitest-environment happy-dom
// What PayProvider needs and says, and the labels in the user's language. No server: these never fetch.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, render, renderHook, screen } from '@testing-library/react'
import type { ReactNode } from 'react'
import { createCheckout, createPayClient } from 'tma-pay'
import {
  PayButton,
  PayProvider,
  useOrder,
  useOrders,
  useOrderTimeline,
  usePayment,
  usePendingPayment,
  useProducts,
} from 'tma-pay/react'
import { ruLabels, zhLabels } from 'tma-pay/react/locales'
import { afterEach, describe, expect, it, vi } from 'vitest'

const client = createPayClient({ baseUrl: 'http://127.0.0.1:9/api/pay' })
const product = { id: 'magic-book', amount: 50 }

function Wrapper({ children, language }: { children?: ReactNode; language?: string }) {
  return (
    <QueryClientProvider client={new QueryClient()}>
      <PayProvider client={client} language={language} translations={{ ru: ruLabels, zh: zhLabels }}>
        {children}
      </PayProvider>
    </QueryClientProvider>
  )
}

describe('PayProvider', () => {
  afterEach(() => {
    cleanup()
    vi.restoreAllMocks()
  })

  it.each<[string, () => unknown]>([
    ['usePayment()', () => usePayment()],
    ['usePendingPayment()', () => usePendingPayment()],
    ['useOrder()', () => useOrder('ord_1')],
    ['useOrders()', () => useOrders()],
    ['useOrderTimeline()', () => useOrderTimeline('ord_1')],
    ['useProducts()', () => useProducts()],
  ])('%s outside <PayProvider> says what to wrap', (name, hook) => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => renderHook(hook)).toThrow(`${name} must be used inside <PayProvider>`)
  })

  it('<PayButton> outside <PayProvider> says what to wrap', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<PayButton product={product} />)).toThrow(
      '<PayButton> must be used inside <PayProvider>',
    )
  })

  it('needs a QueryClientProvider above it, and says how to add one', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<PayProvider client={client} />)).toThrow(
      '<PayProvider> must be used inside <QueryClientProvider client={queryClient}>.',
    )
  })

  it('makes one checkout for its life, even with a new client object on every render, and takes a ready one', () => {
    const seen = new Set<unknown>()
    function Probe() {
      seen.add(usePendingPayment().discard)
      return null
    }
    const queryClient = new QueryClient()
    const page = () => (
      <QueryClientProvider client={queryClient}>
        <PayProvider client={createPayClient({ baseUrl: '/api/pay' })}>
          <Probe />
        </PayProvider>
      </QueryClientProvider>
    )
    const { rerender } = render(page())
    rerender(page())
    expect(seen.size).toBe(1)

    const checkout = createCheckout({ client })
    const { result } = renderHook(() => usePendingPayment(), {
      wrapper: ({ children }) => (
        <QueryClientProvider client={new QueryClient()}>
          <PayProvider checkout={checkout}>{children}</PayProvider>
        </QueryClientProvider>
      ),
    })
    expect(result.current.discard).toBe(checkout.discardPendingPayment)
  })
})

describe('labels', () => {
  afterEach(() => {
    cleanup()
    vi.restoreAllMocks()
  })

  it.each([
    ['en', 'Pay ⭐ 50'],
    ['ru', 'Оплатить ⭐ 50'],
    ['zh', '支付 ⭐ 50'],
    ['zh-hans', '支付 ⭐ 50'],
    ['de', 'Pay ⭐ 50'],
  ])('in %s the button says %s', (language, text) => {
    render(
      <Wrapper language={language}>
        <PayButton product={product} />
      </Wrapper>,
    )
    expect(screen.getByRole('button').textContent).toBe(text)
  })

  it('multiplies the price by the quantity', () => {
    render(
      <Wrapper>
        <PayButton product={{ id: 'gem', amount: 5 }} quantity={3} />
      </Wrapper>,
    )
    expect(screen.getByRole('button').textContent).toBe('Pay ⭐ 15')
  })

  it('takes overrides from the provider and the button, the button winning', () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <PayProvider client={client} language="ru" labels={{ pay: 'Купить за {price}', paid: 'Готово' }}>
          <PayButton product={product} />
          <PayButton product={product} labels={{ pay: 'Взять {price}' }} />
        </PayProvider>
      </QueryClientProvider>,
    )
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual([
      'Купить за ⭐ 50',
      'Взять ⭐ 50',
    ])
  })

  it('outside Telegram, the main-button variant shows nothing and throws nothing; labels fall back to English', () => {
    const errors = vi.spyOn(console, 'error')
    const { unmount } = render(
      <Wrapper>
        <PayButton product={product} variant="main-button" />
        <PayButton product={product} />
      </Wrapper>,
    )
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual(['Pay ⭐ 50'])
    expect(screen.getAllByRole('status')).toHaveLength(2)
    unmount()
    expect(errors).not.toHaveBeenCalled()
  })

  it('shows children before paying, and takes className and disabled', () => {
    render(
      <Wrapper>
        <PayButton product={product} className="buy" disabled>
          Buy the book
        </PayButton>
      </Wrapper>,
    )
    const button = screen.getByRole('button', { name: 'Buy the book' })
    expect(button.className).toBe('tma-pay-button buy')
    expect(button).toHaveProperty('disabled', true)
    expect(button.getAttribute('type')).toBe('button')
  })
})
