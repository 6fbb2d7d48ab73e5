// What Telegram checks of an invoice beyond the spec's field rules, for createInvoiceLink and sendInvoice
// alike: the payment provider, and a total within the currency's limits.
import { maxInvoiceAmount } from '../../core/order-rules'
import { badRequest, type SimulatorContext } from './context'
import type { LabeledPrice, SimulatedInvoiceTerms } from './types'

/** BotFather's payment provider tokens: '<provider bot id>:TEST:<key>' (test payments) or ':LIVE:'. */
const PROVIDER_TOKEN = /^\d+:(?:TEST|LIVE):\S+$/

function acceptsProviderToken(context: SimulatorContext, token: unknown): boolean {
  if (typeof token !== 'string' || !token) return false
  return context.providerTokens ? context.providerTokens.includes(token) : PROVIDER_TOKEN.test(token)
}

/** The invoice's terms from createInvoiceLink's or sendInvoice's params, or Telegram's 400. */
export function invoiceTerms(
  context: SimulatorContext,
  params: Record<string, unknown>,
): SimulatedInvoiceTerms {
  const prices = params.prices as LabeledPrice[]
  const currency = String(params.currency)
  // Stars need no provider; every other currency is paid through one.
  if (currency !== 'XTR' && !acceptsProviderToken(context, params.provider_token))
    throw badRequest('PAYMENT_PROVIDER_INVALID')
  const totalAmount = prices.reduce((sum, price) => sum + price.amount, 0)
  if (totalAmount < 1 || totalAmount > maxInvoiceAmount(currency))
    throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID')
  const terms: SimulatedInvoiceTerms = {
    title: String(params.title),
    description: String(params.description),
    payload: String(params.payload),
    currency,
    prices: prices.map(({ label, amount }) => ({ label, amount })),
    totalAmount,
    createdAt: new Date().toISOString(),
  }
  if (typeof params.photo_url === 'string') terms.photoUrl = params.photo_url
  return terms
}
