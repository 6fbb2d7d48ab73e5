// The play functions of the PayButton state stories, for both variants: tap Pay the way the variant is
// tapped (the inline button, or Telegram's MainButton), then wait for the state the story shows.
import { expect, userEvent, waitFor, within } from 'storybook/test'

type Variant = 'inline' | 'main-button'

interface PlayContext {
  canvasElement: HTMLElement
  args: Record<string, unknown>
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
