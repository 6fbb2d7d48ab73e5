// The play functions of the PayButton state stories, for both variants: tap Pay the way the variant is
// tapped (the inline button, or Telegram's MainButton), then wait for the state the story shows.
import type { StoryObj } from '@storybook/react-vite'
import { expect, userEvent, waitFor, within } from 'storybook/test'
import type { PayButton } from 'tma-pay/react'
import { fakeProducts } from 'tma-pay/testing'
import { fakeLoader } from './helpers'

type Variant = 'inline' | 'main-button'

export type PayButtonStory = StoryObj<typeof PayButton>

interface PlayContext {
  canvasElement: HTMLElement
  args: { onPaid?: unknown; onError?: unknown; onSettled?: unknown }
}

/** Long enough for a whole payment on the fake client (about 0.6 s) on a busy CI machine. */
export const flowTimeout = { timeout: 8000 }

/**
 * The variant's button once it says `label` (by default the Pay label with the price, once the catalog
 * came): the inline button, or the MainButton stand-in, which is named after its text even under its loader.
 */
export function findPayButton(canvasElement: HTMLElement, variant: Variant, label = 'Pay ⭐ 50') {
  const canvas = within(canvasElement)
  const name = variant === 'inline' ? label : `Telegram MainButton: ${label}`
  return canvas.findByRole('button', { name }, flowTimeout)
}

/** Waits until the announced result (the `aria-live` line under the button) reads `text`. */
export async function expectAnnounced(canvasElement: HTMLElement, text: string | RegExp) {
  const canvas = within(canvasElement)
  await waitFor(() => expect(canvas.getByRole('status')).toHaveTextContent(text), flowTimeout)
}

/** Taps Pay and waits until the button says `label` (a transient state the story holds on screen). */
export const payUntilBusy =
  (variant: Variant, label: string) =>
  async ({ canvasElement }: PlayContext) => {
    await userEvent.click(await findPayButton(canvasElement, variant))
    const button = await findPayButton(canvasElement, variant, label)
    if (variant === 'inline') await expect(button).toBeDisabled()
    await expect(button).toHaveAttribute('aria-busy', 'true')
  }

/** Taps Pay and waits for the result the story shows: its announcement, the button after, the callbacks. */
export const payUntilSettled =
  (
    variant: Variant,
    result: 'paid' | 'cancelled' | 'failed' | 'expired',
    announced: string | RegExp,
    pay = 'Pay ⭐ 50',
  ) =>
  async ({ canvasElement, args }: PlayContext) => {
    await userEvent.click(await findPayButton(canvasElement, variant, pay))
    await expectAnnounced(canvasElement, announced)
    await findPayButton(canvasElement, variant, result === 'paid' ? 'Paid' : 'Try again')
    await expect(args.onSettled).toHaveBeenCalledOnce()
    if (result === 'paid') await expect(args.onPaid).toHaveBeenCalledOnce()
    else await expect(args.onPaid).not.toHaveBeenCalled()
    if (result === 'failed') await expect(args.onError).toHaveBeenCalledOnce()
  }

type StateName =
  | 'Idle'
  | 'Creating'
  | 'AwaitingPayment'
  | 'Confirming'
  | 'Paid'
  | 'Cancelled'
  | 'Failed'
  | 'Expired'
  | 'Owned'
  | 'Extend'

/**
 * Every PayButton state, the same for both variants: only how Pay is tapped and where the state shows
 * differ. `Story` is the calling file's story type (its meta's args carry `fn()` mocks).
 */
export function stateStories<Story>(variant: Variant): Record<StateName, Story> {
  /** Before paying: the price comes from the server's catalog (`useProducts`). */
  const Idle: PayButtonStory = {}

  /** The order is being created on the server (the fake never answers, so the state stays). */
  const Creating: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'paid' }, 'createOrder')],
    play: payUntilBusy(variant, 'Creating order…'),
  }

  /** Telegram's invoice is open (the user never closes it here). */
  const AwaitingPayment: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'closed-mid-payment' })],
    play: payUntilBusy(variant, 'Waiting for payment…'),
  }

  /** The invoice closed; the button waits for the server's word (which never comes here). */
  const Confirming: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'paid' }, 'confirm')],
    play: payUntilBusy(variant, 'Confirming payment…'),
  }

  /** The server confirmed the payment; `onPaid` ran once. */
  const Paid: PayButtonStory = { play: payUntilSettled(variant, 'paid', 'Paid') }

  /** The user closed the invoice, and the server agrees; the button offers another try. */
  const Cancelled: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'cancelled' })],
    play: payUntilSettled(variant, 'cancelled', 'Payment cancelled'),
  }

  // A product the server no longer sells: creating the order fails with the server's own message.
  const retired = {
    id: 'retired-scroll',
    title: 'Retired Scroll',
    description: 'No longer sold.',
    amount: 30,
    active: false,
  }

  /** The server refused the order: its message is shown, and the button offers a retry. */
  const Failed: PayButtonStory = {
    args: { productId: undefined, product: { id: retired.id, amount: retired.amount } },
    loaders: [fakeLoader({ scenario: 'paid', products: [...fakeProducts, retired] })],
    play: payUntilSettled(
      variant,
      'failed',
      'Payment failed: Product "retired-scroll" is not for sale now.',
      'Pay ⭐ 30',
    ),
  }

  /** The order expired before it was paid. */
  const Expired: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'expired' })],
    play: payUntilSettled(variant, 'expired', 'Payment expired'),
  }
  /** The user owns the Magic Book (a non-consumable) already: the button says so and does not pay. */
  const Owned: PayButtonStory = {
    loaders: [fakeLoader({ scenario: 'paid', owned: ['magic-book'] })],
    play: async ({ canvasElement, args }: PlayContext) => {
      const button = await findPayButton(canvasElement, variant, 'Owned')
      if (variant === 'inline') await expect(button).toBeDisabled()
      await userEvent.click(button)
      await expect(args.onSettled).not.toHaveBeenCalled()
    },
  }

  /** The user's Day pass still runs: the button offers another day, and pays for it. */
  const Extend: PayButtonStory = {
    args: { productId: 'day-pass' },
    loaders: [fakeLoader({ scenario: 'paid', owned: ['day-pass'] })],
    play: async ({ canvasElement, args }: PlayContext) => {
      await userEvent.click(await findPayButton(canvasElement, variant, 'Extend ⭐ 10'))
      await expectAnnounced(canvasElement, 'Paid')
      await expect(args.onPaid).toHaveBeenCalledOnce()
    },
  }
  const stories = {
    Idle,
    Creating,
    AwaitingPayment,
    Confirming,
    Paid,
    Cancelled,
    Failed,
    Expired,
    Owned,
    Extend,
  }
  return stories as Record<StateName, unknown> as Record<StateName, Story>
}
