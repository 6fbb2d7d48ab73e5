import { type Api, HttpError } from 'grammy'
import type { Product } from '../core'
import { PayError } from '../core/errors'
import { sleep } from '../core/sleep'
import { telegramError } from './telegram-error'

export interface InvoiceLinkOptions {
  telegram: () => Api
  /** Payment provider token for currencies other than XTR; none for Stars. */
  providerToken?: string
}

/**
 * Repeats a Bot API call that failed on the network (a reset keep-alive socket, a blip): making an
 * invoice link twice is harmless, as only the one stored with the order is ever shown. Telegram's own
 * errors are not repeated; they come back to the client as `telegram_error`.
 */
async function withNetworkRetry<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!(error instanceof HttpError) || attempt >= attempts) throw error
      await sleep(100 * attempt)
    }
  }
}

/** The provider token a product's currency needs: none for Stars; a 503 when a fiat product has none configured. */
export function providerTokenFor(product: Product, providerToken: string | undefined): string {
  const currency = product.currency ?? 'XTR'
  if (currency === 'XTR') return ''
  if (!providerToken)
    throw new PayError(
      'provider_token_missing',
      `Product "${product.id}" is priced in ${currency}: configure providerToken (BotFather → Payments) to sell in currencies other than XTR.`,
      { details: { productId: product.id, currency } },
    )
  return providerToken
}

/** An invoice's one line: the product, times the quantity when more than one. */
export const invoicePrices = (product: Product, quantity: number, amount: number) => [
  { label: quantity > 1 ? `${product.title} × ${quantity}` : product.title, amount },
]

/** Makes the invoice link (`createInvoiceLink`) of an order: its payload is the order id. */
export function createInvoiceLinkMaker(options: InvoiceLinkOptions) {
  return async function invoiceLink(
    orderId: string,
    product: Product,
    quantity: number,
    amount: number,
  ): Promise<string> {
    const providerToken = providerTokenFor(product, options.providerToken)
    try {
      return await withNetworkRetry(() =>
        options
          .telegram()
          .createInvoiceLink(
            product.title,
            product.description,
            orderId,
            providerToken,
            product.currency ?? 'XTR',
            invoicePrices(product, quantity, amount),
            {
              ...(product.photoUrl ? { photo_url: product.photoUrl } : {}),
              ...(product.subscriptionPeriod ? { subscription_period: product.subscriptionPeriod } : {}),
            },
          ),
      )
    } catch (cause) {
      throw telegramError('Telegram did not create the invoice link; try again.', cause)
    }
  }
}
