import type { Meta, StoryObj } from '@storybook/react-vite'
import { useState } from 'react'
import { expect, fn, userEvent, waitFor, within } from 'storybook/test'
import { PayButton, usePendingPayment } from 'tma-pay/react'
import type { FakePayClient } from 'tma-pay/testing'
import { type FakeLoaded, fakeLoader, PayKit, ProductCard, useTick } from './helpers'
import { expectAnnounced, findPayButton, flowTimeout } from './states'

/**
 * Whole payments on the fake client (`createFakePayClient(scenario)` from `tma-pay/testing`), each played
 * by its story's play function: tap Pay, watch the states go by, check the result, the callbacks and what
 * the fake server holds. The panel under the button is the fake server's view of the orders.
 */
const meta = {
  title: 'Flows',
  component: PayButton,
  args: { productId: 'magic-book', onPaid: fn(), onError: fn(), onSettled: fn() },
  loaders: [fakeLoader({ scenario: 'paid' })],
  render: (args, { loaded }) => {
    const { fake, storage } = loaded as FakeLoaded
    return (
      <PayKit fake={fake} storage={storage}>
        <ProductCard title="Magic Book">
          <PayButton {...args} />
        </ProductCard>
        <ServerView fake={fake} />
      </PayKit>
    )
  },
} satisfies Meta<typeof PayButton>

export default meta
type Story = StoryObj<typeof meta>

/** The orders as the fake server holds them, refreshed while the story runs. */
function ServerView({ fake }: { fake: FakePayClient }) {
  useTick(150)
  const orders = fake.orders
  return (
    <section
      aria-label="Server's view"
      style={{ marginTop: 16, fontSize: 13, color: 'var(--tg-theme-hint-color)' }}
    >
      <div>
        Server ({fake.scenario}): {orders.length === 0 ? 'no orders yet' : ''}
      </div>
      <ul style={{ margin: 0, paddingLeft: 18 }}>
        {orders.map((order) => (
          <li key={order.id}>
            {order.id.slice(0, 12)}… {order.title}:{' '}
            <strong data-order-status={order.status}>{order.status}</strong>
          </li>
        ))}
      </ul>
      <div>Haptics: {fake.telegram.haptics.join(', ') || 'none'}</div>
    </section>
  )
}

const loadedFake = (loaded: unknown) => (loaded as FakeLoaded).fake
const orderStatuses = (fake: FakePayClient) => fake.orders.map((order) => order.status)

/** The user pays: created → invoice → confirmed by the server → Paid, `onPaid` once, a success haptic. */
export const Paid: Story = {
  play: async ({ canvasElement, args, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, 'Paid')
    await expect(args.onPaid).toHaveBeenCalledOnce()
    await expect(orderStatuses(fake)).toEqual(['paid'])
    await expect(fake.telegram.haptics).toEqual(['success'])
  },
}

/** The user closes the invoice; the server confirms the cancel before the button says so. */
export const Cancelled: Story = {
  loaders: [fakeLoader({ scenario: 'cancelled' })],
  play: async ({ canvasElement, args, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, 'Payment cancelled')
    await expect(within(canvasElement).getByRole('button', { name: 'Try again' })).toBeEnabled()
    await expect(args.onPaid).not.toHaveBeenCalled()
    await expect(orderStatuses(fake)).toEqual(['cancelled'])
  },
}

/** Pre-checkout is refused: the failure is shown; the retry makes a new order, which is paid. */
export const FailedThenRetry: Story = {
  name: 'Failed, then retry',
  loaders: [fakeLoader({ scenario: 'failed' })],
  play: async ({ canvasElement, args, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, /^Payment failed: /)
    await expect(args.onError).toHaveBeenCalledOnce()
    fake.setScenario('paid')
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Try again' }))
    await expectAnnounced(canvasElement, 'Paid')
    await expect(args.onPaid).toHaveBeenCalledOnce()
    await expect(orderStatuses(fake)).toEqual(['failed', 'paid'])
  },
}

/** Every call and the user take 1.5 s: each state shows on the button in turn, the button stays busy. */
export const Slow: Story = {
  loaders: [fakeLoader({ scenario: 'slow' })],
  play: async ({ canvasElement, args }) => {
    const canvas = within(canvasElement)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    for (const label of ['Creating order…', 'Waiting for payment…', 'Confirming payment…']) {
      const button = await canvas.findByRole('button', { name: label }, flowTimeout)
      await expect(button).toHaveAttribute('aria-busy', 'true')
      await expect(button).toBeDisabled()
    }
    await expectAnnounced(canvasElement, 'Paid')
    await expect(args.onPaid).toHaveBeenCalledOnce()
  },
}

/** The pay server cannot be reached: the error is shown, and the retry gets through and pays. */
export const NetworkErrorThenRetry: Story = {
  name: 'Network error, then retry',
  loaders: [fakeLoader({ scenario: 'network-error', failFirst: 1 })],
  play: async ({ canvasElement, args, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, /^Payment failed: Could not reach the pay server/)
    await expect(args.onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'network_error' }))
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Try again' }))
    await expectAnnounced(canvasElement, 'Paid')
    await expect(orderStatuses(fake)).toEqual(['paid'])
  },
}

/** Telegram reports `cancelled` although the user paid (macOS): the server's word wins, the button says Paid. */
export const CancelledButPaid: Story = {
  name: 'Cancelled reported, but paid',
  loaders: [fakeLoader({ scenario: 'cancelled-but-paid' })],
  play: async ({ canvasElement, args, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, 'Paid')
    await expect(args.onPaid).toHaveBeenCalledOnce()
    await expect(
      fake.calls.some((call) => call.method === 'reportClientStatus' && call.args[1] === 'cancelled'),
    ).toBe(true)
    await expect(orderStatuses(fake)).toEqual(['paid'])
  },
}

/** A double tap makes one order. */
export const DoubleTap: Story = {
  play: async ({ canvasElement, loaded }) => {
    const fake = loadedFake(loaded)
    await userEvent.dblClick(await findPayButton(canvasElement, 'inline'))
    await expectAnnounced(canvasElement, 'Paid')
    await expect(fake.calls.filter((call) => call.method === 'createOrder')).toHaveLength(1)
    await expect(fake.orders).toHaveLength(1)
  },
}

/** The built-in labels follow the user's language (here set on PayProvider; by default from init data). */
export const RussianLabels: Story = {
  name: 'Labels in Russian',
  render: (args, { loaded }) => {
    const { fake, storage } = loaded as FakeLoaded
    return (
      <PayKit fake={fake} storage={storage} language="ru">
        <ProductCard title="Волшебная книга">
          <PayButton {...args} />
        </ProductCard>
      </PayKit>
    )
  },
  play: async ({ canvasElement }) => {
    await userEvent.click(await findPayButton(canvasElement, 'inline', 'Оплатить ⭐ 50'))
    await expectAnnounced(canvasElement, 'Оплачено')
  },
}

// ---- Closed mid-payment, then resumed on the next launch -----------------------------------------------

/** The shop screen of the Mini App: a banner for a payment the last launch left open, and the button. */
function ShopScreen() {
  const { pending, hasPending, resume, discard } = usePendingPayment()
  const [resumed, setResumed] = useState<'resuming' | string>()
  const resumeNow = async () => {
    setResumed('resuming')
    const result = await resume()
    setResumed(result?.status ?? 'nothing to resume')
  }
  return (
    <ProductCard title="Magic Book">
      {hasPending && resumed === undefined && (
        <div role="alert" style={{ display: 'grid', gap: 8 }}>
          <span>
            A payment for {pending?.productId} was not finished (order {pending?.orderId.slice(0, 12)}…).
          </span>
          <span style={{ display: 'flex', gap: 8 }}>
            <button type="button" onClick={resumeNow}>
              Resume payment
            </button>
            <button type="button" onClick={discard}>
              Discard
            </button>
          </span>
        </div>
      )}
      {resumed === 'resuming' && <span>Resuming the payment…</span>}
      {resumed && resumed !== 'resuming' && (
        <output aria-label="Resumed payment">Resumed payment: {resumed}</output>
      )}
      {resumed !== 'paid' && <PayButton productId="magic-book" />}
    </ProductCard>
  )
}

/**
 * The Mini App is closed with the invoice open, and launched again: the pending payment was stored before
 * the invoice opened, so `usePendingPayment` finds it and `resume()` asks the server, reopens the
 * invoice, and ends paid.
 */
function ClosedMidPayment({ fake, storage }: FakeLoaded) {
  const [launch, setLaunch] = useState(1)
  const [open, setOpen] = useState(true)
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        {open ? (
          <button type="button" onClick={() => setOpen(false)}>
            Close the Mini App
          </button>
        ) : (
          <button
            type="button"
            onClick={() => {
              setLaunch((n) => n + 1)
              setOpen(true)
            }}
          >
            Launch the Mini App again
          </button>
        )}
        <span style={{ color: 'var(--tg-theme-hint-color)' }}>
          Launch {launch}
          {open ? '' : ' (closed)'}
        </span>
      </div>
      {/* A new launch: a new QueryClient and checkout, reading the same storage. */}
      {open && (
        <PayKit key={launch} fake={fake} storage={storage}>
          <ShopScreen />
        </PayKit>
      )}
      <ServerView fake={fake} />
    </div>
  )
}

/** Closed while the invoice was open; on the next launch, resumed: the invoice reopens and the user pays. */
export const ClosedMidPaymentThenResume: Story = {
  name: 'Closed mid-payment, then resume',
  loaders: [fakeLoader({ scenario: 'closed-mid-payment' })],
  render: (_args, { loaded }) => <ClosedMidPayment {...(loaded as FakeLoaded)} />,
  play: async ({ canvasElement, loaded }) => {
    const fake = loadedFake(loaded)
    const canvas = within(canvasElement)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await canvas.findByRole('button', { name: 'Waiting for payment…' }, flowTimeout)
    // Telegram's invoice is open on the phone: now the Mini App is closed.
    await waitFor(() => expect(fake.telegram.isOpen).toBe(true), flowTimeout)
    await userEvent.click(canvas.getByRole('button', { name: 'Close the Mini App' }))
    await expect(orderStatuses(fake)).toEqual(['pending'])
    // This time the user pays at the reopened invoice.
    fake.setScenario('paid')
    await userEvent.click(canvas.getByRole('button', { name: 'Launch the Mini App again' }))
    await expect(await canvas.findByRole('alert')).toHaveTextContent(
      'A payment for magic-book was not finished',
    )
    await userEvent.click(canvas.getByRole('button', { name: 'Resume payment' }))
    await waitFor(
      () => expect(canvas.getByRole('status', { name: 'Resumed payment' })).toHaveTextContent('paid'),
      flowTimeout,
    )
    await expect(fake.telegram.opened).toHaveLength(2)
    await expect(orderStatuses(fake)).toEqual(['paid'])
  },
}

/** Closed while the invoice was open, and Telegram took the payment meanwhile: the resume shows Paid at once. */
export const PaidWhileClosedThenResume: Story = {
  name: 'Paid while closed, then resume',
  loaders: [fakeLoader({ scenario: 'closed-mid-payment' })],
  render: (_args, { loaded }) => <ClosedMidPayment {...(loaded as FakeLoaded)} />,
  play: async ({ canvasElement, loaded }) => {
    const fake = loadedFake(loaded)
    const canvas = within(canvasElement)
    await userEvent.click(await findPayButton(canvasElement, 'inline'))
    await canvas.findByRole('button', { name: 'Waiting for payment…' }, flowTimeout)
    // Telegram's invoice is open on the phone: now the Mini App is closed.
    await waitFor(() => expect(fake.telegram.isOpen).toBe(true), flowTimeout)
    await userEvent.click(canvas.getByRole('button', { name: 'Close the Mini App' }))
    // The user pays in Telegram while the Mini App is closed.
    await expect(await fake.telegram.closeInvoice('paid')).toBe(true)
    await userEvent.click(canvas.getByRole('button', { name: 'Launch the Mini App again' }))
    await userEvent.click(await canvas.findByRole('button', { name: 'Resume payment' }))
    await waitFor(
      () => expect(canvas.getByRole('status', { name: 'Resumed payment' })).toHaveTextContent('paid'),
      flowTimeout,
    )
    // The server already knew: no second invoice.
    await expect(fake.telegram.opened).toHaveLength(1)
  },
}
