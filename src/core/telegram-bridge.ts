import { PayError } from './errors'
import type { ClientInvoiceStatus } from './order'

// @tma.js/sdk is loaded when an invoice opens, not when `tma-pay` is imported: a Node project (a server's
// tests with a typed client) has no SDK installed. In a Mini App's bundle the SDK is already there (the app
// calls its init()), so this costs no request.

/** What `invoice_closed` said, or `unknown` when nothing came back in time (macOS sends nothing on cancel). */
export type InvoiceOutcome = ClientInvoiceStatus | 'unknown'

/** The little of Telegram the checkout needs; swap it in tests or outside Telegram. */
export interface TelegramBridge {
  /** Opens the invoice and resolves when it closes. */
  openInvoice(invoiceUrl: string, options: { timeoutMs: number }): Promise<InvoiceOutcome>
  /** Haptic feedback where Telegram supports it; never throws. */
  notify(type: 'success' | 'error'): void
}

const knownStatuses: readonly string[] = ['paid', 'failed', 'cancelled', 'pending']
const sdk = () => import('@tma.js/sdk')

/** The bridge over @tma.js/sdk: `invoice.openUrl` with a timeout, `hapticFeedback.notificationOccurred`. */
export const sdkTelegramBridge: TelegramBridge = {
  async openInvoice(invoiceUrl, { timeoutMs }) {
    try {
      // Outside Telegram, or before init(), the SDK throws here with what to do ("Use the SDK init() function").
      const status = await (await sdk()).invoice.openUrl(invoiceUrl, { timeout: timeoutMs })
      return knownStatuses.includes(status) ? (status as ClientInvoiceStatus) : 'unknown'
    } catch (error) {
      // The invoice may still be open, or the client never told us how it closed: the server decides.
      if ((error as Error | null)?.name === 'TimeoutError') return 'unknown'
      throw new PayError(
        'invoice_unavailable',
        `Telegram did not open the invoice: ${(error as Error)?.message ?? error}`,
        { cause: error },
      )
    }
  },
  async notify(type) {
    try {
      // Unavailable (outside Telegram, an old client), it throws.
      ;(await sdk()).hapticFeedback.notificationOccurred(type)
    } catch {
      // Haptics are a nicety; a client without them pays just the same.
    }
  },
}
