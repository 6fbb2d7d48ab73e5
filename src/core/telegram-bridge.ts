import { PayError } from './errors'
import type { ClientInvoiceStatus } from './order'
import { hapticFeedback, invoice } from './sdk'

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

/** The bridge over @tma.js/sdk: `invoice.openUrl` with a timeout, `hapticFeedback.notificationOccurred`. */
export const sdkTelegramBridge: TelegramBridge = {
  async openInvoice(invoiceUrl, { timeoutMs }) {
    try {
      // Outside Telegram, or before init(), the SDK throws here with what to do ("Use the SDK init() function").
      const status = await invoice.openUrl(invoiceUrl, { timeout: timeoutMs })
      return knownStatuses.includes(status) ? (status as ClientInvoiceStatus) : 'unknown'
    } catch (error) {
      // The invoice may still be open, or the client never told us how it closed: the server decides.
      if ((error as Error | null)?.name === 'TimeoutError') return 'unknown'
      throw new PayError(
        'invoice_unavailable',
        `Telegram did not open the invoice (outside Telegram, mockMiniApp() stands in): ${(error as Error)?.message ?? error}`,
        { cause: error },
      )
    }
  },
  notify(type) {
    try {
      // Unavailable (outside Telegram, an old client), it throws synchronously.
      hapticFeedback.notificationOccurred(type)
    } catch {
      // Haptics are a nicety; a client without them pays just the same.
    }
  },
}
