import type { Meta, StoryObj } from '@storybook/react-vite'
import { fn } from 'storybook/test'
import { PayButton } from 'tma-pay/react'
import { fakeProducts } from 'tma-pay/testing'
import { type FakeLoaded, fakeLoader, PayKit, ProductCard } from './helpers'
import { payUntilBusy, payUntilSettled } from './states'

/**
 * Every state of the inline PayButton, in Telegram's light and dark themes, on the fake client
 * (`createFakePayClient` from `tma-pay/testing`). The states after Idle are reached by tapping Pay in the
 * story's play function; Creating and Confirming are held by a fake client that stops at that step.
 * The theme toolbar switches the light stories to dark too.
 */
const meta = {
  title: 'PayButton/Inline',
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
      </PayKit>
    )
  },
} satisfies Meta<typeof PayButton>

export default meta
type Story = StoryObj<typeof meta>

const dark = (story: Story): Story => ({ ...story, globals: { theme: 'dark' } })

/** Before paying: the price comes from the server's catalog (`useProducts`). */
export const Idle: Story = {}
export const IdleDark = dark(Idle)

/** The order is being created on the server (the fake never answers, so the state stays). */
export const Creating: Story = {
  loaders: [fakeLoader({ scenario: 'paid' }, 'createOrder')],
  play: payUntilBusy('inline', 'Creating order…'),
}
export const CreatingDark = dark(Creating)

/** Telegram's invoice is open (the user never closes it here). */
export const AwaitingPayment: Story = {
  loaders: [fakeLoader({ scenario: 'closed-mid-payment' })],
  play: payUntilBusy('inline', 'Waiting for payment…'),
}
export const AwaitingPaymentDark = dark(AwaitingPayment)

/** The invoice closed; the button waits for the server's word (which never comes here). */
export const Confirming: Story = {
  loaders: [fakeLoader({ scenario: 'paid' }, 'confirm')],
  play: payUntilBusy('inline', 'Confirming payment…'),
}
export const ConfirmingDark = dark(Confirming)

/** The server confirmed the payment; `onPaid` ran once. */
export const Paid: Story = { play: payUntilSettled('inline', 'paid', 'Paid') }
export const PaidDark = dark(Paid)

/** The user closed the invoice, and the server agrees; the button offers another try. */
export const Cancelled: Story = {
  loaders: [fakeLoader({ scenario: 'cancelled' })],
  play: payUntilSettled('inline', 'cancelled', 'Payment cancelled'),
}
export const CancelledDark = dark(Cancelled)

// A product the server no longer sells: creating the order fails with the server's own message.
const retired = {
  id: 'retired-scroll',
  title: 'Retired Scroll',
  description: 'No longer sold.',
  amount: 30,
  active: false,
}

/** The server refused the order: its message is shown, and the button offers a retry. */
export const Failed: Story = {
  args: { productId: undefined, product: { id: retired.id, amount: retired.amount } },
  loaders: [fakeLoader({ scenario: 'paid', products: [...fakeProducts, retired] })],
  play: payUntilSettled(
    'inline',
    'failed',
    'Payment failed: Product "retired-scroll" is not for sale now.',
    'Pay ⭐ 30',
  ),
}
export const FailedDark = dark(Failed)

/** The order expired before it was paid. */
export const Expired: Story = {
  loaders: [fakeLoader({ scenario: 'expired' })],
  play: payUntilSettled('inline', 'expired', 'Payment expired'),
}
export const ExpiredDark = dark(Expired)
