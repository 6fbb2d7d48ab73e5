import type { Meta, StoryObj } from '@storybook/react-vite'
import { fn } from 'storybook/test'
import { PayButton } from 'tma-pay/react'
import { type FakeLoaded, fakeLoader, PayKit, ProductCard } from './helpers'
import { stateStories } from './states'

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

const states = stateStories<Story>('inline')
const dark = (story: Story): Story => ({ ...story, globals: { theme: 'dark' } })

/** Before paying: the price comes from the server's catalog (`useProducts`). */
export const Idle: Story = states.Idle
export const IdleDark = dark(Idle)
export const Creating: Story = states.Creating
export const CreatingDark = dark(Creating)
export const AwaitingPayment: Story = states.AwaitingPayment
export const AwaitingPaymentDark = dark(AwaitingPayment)
export const Confirming: Story = states.Confirming
export const ConfirmingDark = dark(Confirming)
export const Paid: Story = states.Paid
export const PaidDark = dark(Paid)
export const Cancelled: Story = states.Cancelled
export const CancelledDark = dark(Cancelled)
export const Failed: Story = states.Failed
export const FailedDark = dark(Failed)
export const Expired: Story = states.Expired
export const ExpiredDark = dark(Expired)
export const Owned: Story = states.Owned
export const OwnedDark = dark(Owned)
export const Extend: Story = states.Extend
export const ExtendDark = dark(Extend)
