// The Bot API methods the simulator answers, each returning what Telegram's `result` would be.
import { maxInvoiceAmount } from '../../core/order-rules'
import { STAR_SUBSCRIPTION_PERIOD } from '../spec/validate'
import { BotApiError, badRequest, randomSlug, type SimulatorContext, unixNow } from './context'
import type { LabeledPrice, Message, SimulatedInvoice, StarTransaction } from './types'

type Params = Record<string, unknown>
type Method = (context: SimulatorContext, params: Params) => unknown

const string = (value: unknown) => (typeof value === 'string' ? value : undefined)

/** BotFather's payment provider tokens: '<provider bot id>:TEST:<key>' (test payments) or ':LIVE:'. */
const PROVIDER_TOKEN = /^\d+:(?:TEST|LIVE):\S+$/

function acceptsProviderToken(context: SimulatorContext, token: string | undefined): boolean {
  if (!token) return false
  return context.providerTokens ? context.providerTokens.includes(token) : PROVIDER_TOKEN.test(token)
}

function paymentOf(context: SimulatorContext, params: Params) {
  const payment = context.payments.get(String(params.telegram_payment_charge_id))
  // Telegram does not tell "no such charge" from "charge of another user".
  if (!payment || payment.user.id !== params.user_id) throw badRequest('CHARGE_NOT_FOUND')
  return payment
}

export const botApiMethods: Record<string, Method> = {
  getMe: (context) => context.botInfo,

  setWebhook(context, params) {
    const url = String(params.url)
    const settings = url
      ? {
          url,
          secretToken: string(params.secret_token),
          maxConnections: typeof params.max_connections === 'number' ? params.max_connections : 40,
          // "If not specified, the previous setting will be used."
          allowedUpdates:
            (params.allowed_updates as string[] | undefined) ?? context.delivery.webhook?.allowedUpdates,
        }
      : undefined
    context.delivery.setWebhook(settings, params.drop_pending_updates === true)
    return true
  },

  deleteWebhook(context, params) {
    context.delivery.setWebhook(undefined, params.drop_pending_updates === true)
    return true
  },

  getWebhookInfo({ delivery }) {
    const { webhook, lastError } = delivery
    return {
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: delivery.pendingUpdateCount,
      ...(webhook && { ip_address: '127.0.0.1', max_connections: webhook.maxConnections }),
      ...(webhook?.allowedUpdates && { allowed_updates: webhook.allowedUpdates }),
      ...(lastError && { last_error_date: lastError.date, last_error_message: lastError.message }),
    }
  },

  createInvoiceLink(context, params) {
    const prices = params.prices as LabeledPrice[]
    const currency = String(params.currency)
    if (currency !== 'XTR' && !acceptsProviderToken(context, string(params.provider_token)))
      throw badRequest('PAYMENT_PROVIDER_INVALID')
    if (params.subscription_period !== undefined && params.subscription_period !== STAR_SUBSCRIPTION_PERIOD) {
      throw badRequest('SUBSCRIPTION_PERIOD_INVALID')
    }
    const totalAmount = prices.reduce((sum, price) => sum + price.amount, 0)
    if (totalAmount < 1 || totalAmount > maxInvoiceAmount(currency))
      throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID')
    const slug = randomSlug()
    const invoice: SimulatedInvoice = {
      slug,
      url: `https://t.me/$${slug}`,
      title: String(params.title),
      description: String(params.description),
      payload: String(params.payload),
      currency,
      prices: prices.map(({ label, amount }) => ({ label, amount })),
      totalAmount,
      createdAt: new Date().toISOString(),
    }
    if (typeof params.subscription_period === 'number')
      invoice.subscriptionPeriod = params.subscription_period
    if (typeof params.photo_url === 'string') invoice.photoUrl = params.photo_url
    context.invoices.set(slug, invoice)
    return invoice.url
  },

  answerPreCheckoutQuery(context, params) {
    const query = context.preCheckoutQueries.get(String(params.pre_checkout_query_id))
    if (!query || query.closed) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid')
    }
    query.closed = true
    query.resolve(
      params.ok === true
        ? { ok: true }
        : { ok: false, errorMessage: string(params.error_message) ?? 'refused' },
    )
    return true
  },

  refundStarPayment(context, params) {
    const payment = paymentOf(context, params)
    if (payment.invoice.currency !== 'XTR') throw badRequest('CHARGE_ID_INVALID')
    if (payment.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED')
    payment.refunded = true
    const { invoice, user } = payment
    // The refund is an outgoing transaction with the payment's id (per StarTransaction.id).
    context.transactions.push({
      id: payment.chargeId,
      amount: payment.amount,
      date: unixNow(),
      receiver: { type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: invoice.payload },
    })
    const message: Message = {
      message_id: context.nextMessageId++,
      date: unixNow(),
      chat: { id: user.id, type: 'private', first_name: user.first_name },
      from: user,
      refunded_payment: {
        currency: invoice.currency,
        total_amount: payment.amount,
        invoice_payload: invoice.payload,
        telegram_payment_charge_id: payment.chargeId,
        provider_payment_charge_id: payment.providerChargeId,
      },
    }
    void context.delivery.enqueue({ message })
    return true
  },

  getStarTransactions(context, params) {
    const offset = typeof params.offset === 'number' ? params.offset : 0
    const limit = typeof params.limit === 'number' ? params.limit : 100
    const newestFirst: StarTransaction[] = [...context.transactions].reverse()
    return { transactions: newestFirst.slice(offset, offset + limit) }
  },

  editUserStarSubscription(context, params) {
    const payment = paymentOf(context, params)
    if (!payment.subscription) throw badRequest('SUBSCRIPTION_ID_INVALID')
    payment.subscription.canceled = params.is_canceled === true
    return true
  },

  sendMessage(context, params) {
    // Only private chats exist here (a user's id is their chat's id); '@channel' usernames name no chat.
    const chatId = params.chat_id
    if (typeof chatId !== 'number') throw badRequest('chat not found')
    const user = [...context.payments.values()].find((payment) => payment.user.id === chatId)?.user
    const { id, is_bot, first_name, username } = context.botInfo
    const message: Message = {
      message_id: context.nextMessageId++,
      date: unixNow(),
      chat: { id: chatId, type: 'private', ...(user && { first_name: user.first_name }) },
      from: { id, is_bot, first_name, username },
      text: String(params.text),
    }
    return message
  },
}

/** Telegram treats method names case-insensitively. */
const methodsByLowerCaseName = new Map(Object.keys(botApiMethods).map((name) => [name.toLowerCase(), name]))

export function canonicalMethodName(name: string): string | undefined {
  return methodsByLowerCaseName.get(name.toLowerCase())
}

export { BotApiError }
