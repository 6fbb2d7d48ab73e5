// Invoice links as Telegram makes them; a module of its own (no other imports), so the CLI reads them without
// loading the simulator.

const INVOICE_LINK = /^(?:https?:\/\/)?(?:t\.me|telegram\.me|telegram\.dog)\/(?:\$|invoice\/)([^/?#]+)/

/** Whether the text is an invoice link: `https://t.me/$<slug>` or `https://t.me/invoice/<slug>` (t.me, telegram.me, telegram.dog). */
export const isInvoiceLink = (text: string): boolean => INVOICE_LINK.test(text)

/** The slug of `https://t.me/$<slug>`, `https://t.me/invoice/<slug>` (t.me, telegram.me, telegram.dog), or a bare slug. */
export function invoiceSlug(invoiceUrlOrSlug: string): string {
  const match = INVOICE_LINK.exec(invoiceUrlOrSlug)
  return match ? decodeURIComponent(match[1]!) : invoiceUrlOrSlug.replace(/^\$/, '')
}
