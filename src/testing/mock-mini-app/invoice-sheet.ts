// The invoice sheet a Telegram client shows over the Mini App, drawn with plain DOM APIs (no framework, so it
// works beside any app and in happy-dom) and styled from the Telegram theme variables.
import type { SimulatorInvoice } from './simulator-api'

export type SheetStatus = 'paid' | 'cancelled' | 'failed'

export interface InvoiceSheet {
  /** How the user closed it: the status `invoice_closed` reports. */
  readonly closed: Promise<SheetStatus>
  /** Takes the sheet away without an answer (mockMiniApp's close()). */
  remove(): void
}

const overlayStyle =
  'position:fixed;inset:0;z-index:2147483647;display:flex;align-items:flex-end;justify-content:center;' +
  'background:rgba(0,0,0,.45);font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif'
const panelStyle =
  'position:relative;box-sizing:border-box;width:100%;max-width:480px;padding:20px 16px 16px;' +
  'border-radius:14px 14px 0 0;background:var(--tg-theme-bg-color,#fff);color:var(--tg-theme-text-color,#000);' +
  'box-shadow:0 -4px 24px rgba(0,0,0,.25)'
const buttonStyle =
  'display:block;box-sizing:border-box;width:100%;margin-top:8px;padding:12px;border:0;border-radius:10px;' +
  'font:inherit;font-weight:600;cursor:pointer'

/** `⭐ 50` for Stars; `4.99 USD` for other currencies (minor units). */
export function formatAmount(amount: number, currency: string): string {
  return currency === 'XTR' ? `⭐ ${amount}` : `${(amount / 100).toFixed(2)} ${currency}`
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { style?: string; text?: string; testId?: string } = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (props.style) node.style.cssText = props.style
  if (props.text !== undefined) node.textContent = props.text
  if (props.testId) node.dataset.testid = props.testId
  return node
}

/**
 * Shows the sheet for `slug`. Its details come from `details` (the simulator's record of the invoice);
 * Pay runs `pay` and reports what it resolves to; Cancel, × and Escape report `cancelled`.
 */
export function showInvoiceSheet(
  slug: string,
  details: Promise<SimulatorInvoice | undefined>,
  pay: () => Promise<SheetStatus>,
): InvoiceSheet {
  const overlay = element('div', { style: overlayStyle, testId: 'tma-pay-invoice-sheet' })
  overlay.setAttribute('role', 'dialog')
  overlay.setAttribute('aria-modal', 'true')
  overlay.setAttribute('aria-label', 'Invoice')
  overlay.dataset.slug = slug
  const panel = element('div', { style: panelStyle })
  const close = element('button', {
    style:
      'position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;border-radius:16px;background:none;' +
      'color:var(--tg-theme-hint-color,#999);font-size:22px;line-height:1;cursor:pointer',
    text: '×',
    testId: 'tma-pay-invoice-close',
  })
  close.type = 'button'
  close.setAttribute('aria-label', 'Close')
  const title = element('div', {
    style: 'font-size:17px;font-weight:600;padding-right:32px',
    text: 'Loading invoice…',
    testId: 'tma-pay-invoice-title',
  })
  const description = element('div', {
    style: 'margin-top:4px;color:var(--tg-theme-hint-color,#999)',
    testId: 'tma-pay-invoice-description',
  })
  const amount = element('div', {
    style: 'margin:16px 0 8px;font-size:28px;font-weight:700',
    testId: 'tma-pay-invoice-amount',
  })
  const payButton = element('button', {
    style: `${buttonStyle};background:var(--tg-theme-button-color,#40a7e3);color:var(--tg-theme-button-text-color,#fff)`,
    text: 'Pay',
    testId: 'tma-pay-invoice-pay',
  })
  payButton.type = 'button'
  const cancelButton = element('button', {
    style: `${buttonStyle};background:var(--tg-theme-secondary-bg-color,#f1f1f1);color:var(--tg-theme-link-color,#168acd)`,
    text: 'Cancel',
    testId: 'tma-pay-invoice-cancel',
  })
  cancelButton.type = 'button'
  panel.append(close, title, description, amount, payButton, cancelButton)
  overlay.append(panel)
  document.body.append(overlay)

  void details.then(
    (invoice) => {
      title.textContent = invoice?.title ?? `Invoice ${slug}`
      description.textContent = invoice?.description ?? ''
      amount.textContent = invoice ? formatAmount(invoice.totalAmount, invoice.currency) : ''
      // The star is a glyph; say the amount in words for screen readers.
      if (invoice?.currency === 'XTR')
        amount.setAttribute(
          'aria-label',
          `${invoice.totalAmount} Star${invoice.totalAmount === 1 ? '' : 's'}`,
        )
      overlay.setAttribute('aria-label', `Invoice: ${title.textContent}`)
      if (invoice) payButton.textContent = `Pay ${formatAmount(invoice.totalAmount, invoice.currency)}`
    },
    () => {
      title.textContent = `Invoice ${slug}`
    },
  )

  let finish: (status: SheetStatus) => void = () => {}
  const closed = new Promise<SheetStatus>((resolve) => {
    finish = resolve
  })
  let settled = false
  const done = (status: SheetStatus) => {
    if (settled) return
    settled = true
    overlay.remove()
    finish(status)
  }
  const cancel = () => {
    if (!payButton.disabled) done('cancelled')
  }
  close.addEventListener('click', cancel)
  cancelButton.addEventListener('click', cancel)
  overlay.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') cancel()
  })
  payButton.addEventListener('click', () => {
    // While Telegram takes the money, the sheet cannot be dismissed: no second charge, no lost answer.
    for (const button of [payButton, cancelButton, close]) button.disabled = true
    payButton.textContent = 'Paying…'
    payButton.setAttribute('aria-busy', 'true')
    pay().then(done, () => done('failed'))
  })
  payButton.focus()

  return {
    closed,
    remove() {
      settled = true
      overlay.remove()
    },
  }
}
