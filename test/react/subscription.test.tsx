// @vitest-environment happy-dom
// useSubscription against the real pay server: a subscription bought with usePayment shows up, is canceled
// and re-enabled through the hook (Telegram's editUserStarSubscription in the simulator), and a renewal
// the simulator plays moves its expiry on.
import { QueryClient } from '@tanstack/react-query'
import { cleanup, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { payKeys, usePayment } from 'tma-pay/react'
import { useSubscription } from 'tma-pay/react/subscriptions'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createUser, Providers, poll, type Stack, startStack } from '../helpers/react-stack'

const PERIOD_MS = 2_592_000_000
const products = [
  { id: 'magic-book', title: 'Magic Book', description: 'A book of spells.', amount: 50 },
  {
    id: 'wizard-pass',
    title: 'Wizard Pass',
    description: 'Monthly pass.',
    amount: 250,
    subscriptionPeriod: 2_592_000,
  },
]

function Pass() {
  const { pay } = usePayment()
  const { subscription, active, canceled, expiresAt, isLoading, error, cancel, reenable, isUpdating } =
    useSubscription('wizard-pass')
  const state = isLoading
    ? 'loading'
    : !subscription
      ? 'none'
      : `${active ? 'active' : 'inactive'} ${canceled ? 'canceled' : 'renewing'}`
  return (
    <>
      <p>{state}</p>
      <span data-testid="expiry">{expiresAt ?? ''}</span>
      <output>{error?.code ?? ''}</output>
      <button type="button" onClick={() => void pay('wizard-pass')}>
        Subscribe
      </button>
      <button type="button" disabled={isUpdating} onClick={() => void cancel()}>
        Cancel
      </button>
      <button type="button" disabled={isUpdating} onClick={() => void reenable()}>
        Re-enable
      </button>
    </>
  )
}

describe('useSubscription', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack({ products })
  })
  afterAll(() => stack?.close())
  afterEach(() => cleanup())

  const sim = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.simUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: await response.json() }
  }
  const editCalls = async () =>
    ((await sim('GET', '/sim/calls')).body.data as { method: string; params: Record<string, unknown> }[])
      .filter((call) => call.method === 'editUserStarSubscription')
      .map((call) => call.params.is_canceled)

  it('shows a subscription once paid, cancels and re-enables it, and shows a renewal', async () => {
    const user = createUser(stack)
    const queryClient = new QueryClient()
    render(
      <Providers checkout={user.launch()} queryClient={queryClient}>
        <Pass />
      </Providers>,
    )
    const state = () => screen.getByRole('paragraph').textContent
    const expiry = () => Date.parse(screen.getByTestId('expiry').textContent ?? '')
    await poll(state).toBe('none')

    // Paying invalidates the subscriptions: the hook shows it without a reload.
    await userEvent.click(screen.getByRole('button', { name: 'Subscribe' }))
    await poll(state).toBe('active renewing')
    const [subscription] = await user.client.listSubscriptions()
    const { orderId, expiresAt = '' } = subscription!
    expect(Math.abs(Date.parse(expiresAt) - Date.now() - PERIOD_MS)).toBeLessThan(60_000)

    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    await poll(state).toBe('active canceled')
    expect(await editCalls()).toEqual([true])
    expect(
      queryClient.getQueryData<{ subscription: { canceled: boolean } }>(payKeys.order(orderId))?.subscription
        .canceled,
    ).toBe(true)
    // Canceled in Telegram: no renewal comes.
    expect((await sim('POST', '/sim/subscriptions/renew', { invoicePayload: orderId })).status).toBe(409)

    await userEvent.click(screen.getByRole('button', { name: 'Re-enable' }))
    await poll(state).toBe('active renewing')
    expect(await editCalls()).toEqual([true, false])
    expect(screen.getByRole('status').textContent).toBe('')

    const renewal = await sim('POST', '/sim/subscriptions/renew', { invoicePayload: orderId })
    expect(renewal.status).toBe(200)
    expect(renewal.body).toMatchObject({ outcome: 'paid', subscriptionExpirationDate: expect.any(Number) })
    await poll(async () => (await user.client.getOrder(orderId)).telegramPaymentChargeId).toBe(
      renewal.body.telegramPaymentChargeId,
    )
    await queryClient.invalidateQueries({ queryKey: payKeys.subscriptions() })
    await poll(expiry).toBe(Date.parse(expiresAt) + PERIOD_MS)
  })
})
