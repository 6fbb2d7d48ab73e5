// @vitest-environment happy-dom
// useEntitlement and PayButton's owned and extend states against the real pay server: what the user owns comes
// from the server, so a reload (a new QueryClient) and another device see it too.
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, renderHook, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { ReactNode } from 'react'
import type { Product } from 'tma-pay'
import { PayButton, useEntitlement } from 'tma-pay/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createUser, Providers, poll, type Stack, startStack } from '../helpers/react-stack'

const DAY = 86_400
const products: Product[] = [
  { id: 'spellbook', title: 'Spellbook', description: 'Owned for good.', amount: 40, kind: 'non-consumable' },
  {
    id: 'day-pass',
    title: 'Day pass',
    description: 'A day of access.',
    amount: 10,
    kind: 'pass',
    durationSeconds: DAY,
  },
  { id: 'gem', title: 'Gem', description: 'A shiny gem.', amount: 5, maxQuantity: 10 },
]

describe('entitlements in React', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack({ products })
  })
  afterAll(() => stack?.close())
  afterEach(() => cleanup())

  const button = () => screen.getByRole('button')

  it('an owned non-consumable says Owned and does not pay, after a payment, a reload and on another device', async () => {
    const user = createUser(stack)
    render(
      <Providers checkout={user.launch()}>
        <PayButton productId="spellbook" />
      </Providers>,
    )
    await userEvent.click(await screen.findByRole('button', { name: 'Pay ⭐ 40' }))
    await poll(() => button().textContent).toBe('Paid')
    expect(button()).toHaveProperty('disabled', true)
    cleanup()

    // A reload: a new launch with an empty cache. Another device: the same user, another client.
    for (const device of [user, createUser(stack, { initData: () => user.initData })]) {
      const requests = device.requests.length
      render(
        <Providers checkout={device.launch()} queryClient={new QueryClient()}>
          <PayButton productId="spellbook" />
        </Providers>,
      )
      await poll(() => button().textContent).toBe('Owned')
      expect(button()).toHaveProperty('disabled', true)
      expect(button().getAttribute('data-status')).toBe('owned')
      await userEvent.click(button())
      expect(device.requests.slice(requests).filter((request) => request.startsWith('POST /orders'))).toEqual(
        [],
      )
      cleanup()
    }
  })

  it('a running pass is offered for extending, and each purchase adds a day', async () => {
    const user = createUser(stack)
    const queryClient = new QueryClient()
    const checkout = user.launch()
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <Providers checkout={checkout} queryClient={queryClient}>
        {children}
      </Providers>
    )
    const pass = renderHook(() => useEntitlement('day-pass'), { wrapper })
    await waitFor(() => expect(pass.result.current.isLoading).toBe(false))
    expect(pass.result.current).toMatchObject({ entitlement: undefined, active: false, expiresAt: undefined })

    const firstButton = render(<PayButton productId="day-pass" />, { wrapper })
    await userEvent.click(await screen.findByRole('button', { name: 'Pay ⭐ 10' }))
    await poll(() => pass.result.current.active).toBe(true)
    const first = Date.parse(pass.result.current.expiresAt!)
    expect(Math.abs(first - (Date.now() + DAY * 1000))).toBeLessThan(10_000)
    // The paid state gives way to Extend once the payment has settled and a new one may start.
    await poll(() => button().textContent).toBe('Paid')
    // A new button (the shop's page opened again): idle, and the pass runs.
    firstButton.unmount()
    render(<PayButton productId="day-pass" />, { wrapper })
    await userEvent.click(await screen.findByRole('button', { name: 'Extend ⭐ 10' }))
    await poll(() => pass.result.current.expiresAt && Date.parse(pass.result.current.expiresAt)).toBe(
      first + DAY * 1000,
    )
    expect(pass.result.current.entitlement).toMatchObject({
      kind: 'pass',
      productId: 'day-pass',
      active: true,
    })
  })

  it('a consumable asks nothing about ownership, and another user owns nothing', async () => {
    const buyer = createUser(stack)
    const stranger = createUser(stack)
    render(
      <Providers checkout={buyer.launch()}>
        <PayButton productId="gem" />
      </Providers>,
    )
    await screen.findByRole('button', { name: 'Pay ⭐ 5' })
    expect(buyer.requests.some((request) => request.includes('/entitlements'))).toBe(false)
    cleanup()
    const owned = renderHook(() => useEntitlement('spellbook'), {
      wrapper: ({ children }) => <Providers checkout={stranger.launch()}>{children}</Providers>,
    })
    await waitFor(() => expect(owned.result.current.isLoading).toBe(false))
    expect(owned.result.current.active).toBe(false)
  })
})
