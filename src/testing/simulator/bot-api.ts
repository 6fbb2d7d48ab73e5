// The Bot API methods the simulator answers, each returning what Telegram's `result` would be (or a promise of
// it: getUpdates may wait).
import { STAR_SUBSCRIPTION_PERIOD } from '../spec/validate'
import { nextAllowedUpdates } from './allowed-updates'
import { privateChat, sendBotMessage, sendInvoiceMessage } from './chat'
import { BotApiError, badRequest, randomSlug, type SimulatorContext, unixNow } from './context'
import { invoiceTerms } from './invoice-terms'
import { conflictWithWebhook, terminatedByWebhook } from './polling'
import type { Message, SimulatedInvoice, StarTransaction, WebhookSettings } from './types'

type Params = Record<string, unknown>
/** What the simulator knows of the HTTP call: `signal` aborts when the caller hangs up. */
export interface MethodCall {
  signal: AbortSignal
}
type Method = (context: SimulatorContext, params: Params, call: MethodCall) => unknown

const string = (value: unknown) => (typeof value === 'string' ? value : undefined)
const integer = (value: unknown, fallback: number) =>
  typeof value === 'number' ? Math.trunc(value) : fallback

function paymentOf(context: SimulatorContext, params: Params) {
  const payment = context.payments.get(String(params.telegram_payment_charge_id))
  // Telegram does not tell "no such charge" from "charge of another user".
  if (!payment || payment.user.id !== params.user_id) throw badRequest('CHARGE_NOT_FOUND')
  return payment
}

/** The IP address Telegram would send webhook calls to: the one given, the URL's own, else loopback. */
function webhookIp(url: string, given: unknown): string {
  if (typeof given === 'string' && given) return given
  const host = URL.canParse(url) ? new URL(url).hostname.replace(/^\[|\]$/g, '') : ''
  return /^[\d.]+$|:/.test(host) ? host : '127.0.0.1'
}

export const botApiMethods: Record<string, Method> = {
  getMe: (context) => context.botInfo,

  setWebhook(context, params) {
    const url = String(params.url)
    const { delivery } = context
    // "If not specified, the previous setting will be used", for the bot as a whole.
    delivery.allowedUpdates = nextAllowedUpdates(params.allowed_updates, delivery.allowedUpdates)
    const settings: WebhookSettings | undefined = url
      ? {
          url,
          secretToken: string(params.secret_token),
          maxConnections: typeof params.max_connections === 'number' ? params.max_connections : 40,
          ipAddress: webhookIp(url, params.ip_address),
        }
      : undefined
    // A webhook ends the long poll waiting, as Telegram does; the poller then gets 409s until deleteWebhook.
    if (settings) context.polling.terminate(terminatedByWebhook)
    delivery.setWebhook(settings, params.drop_pending_updates === true)
    return true
  },

  deleteWebhook(context, params) {
    context.delivery.setWebhook(undefined, params.drop_pending_updates === true)
    return true
  },

  getWebhookInfo({ delivery }) {
    const { webhook, lastError, allowedUpdates } = delivery
    // The fields the Bot API server fills: ip_address and max_connections only while a webhook is set,
    // allowed_updates only when it is not the default, the last error until the webhook is replaced or removed.
    return {
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: delivery.pendingUpdateCount,
      ...(lastError && { last_error_date: lastError.date, last_error_message: lastError.message }),
      ...(webhook && { max_connections: webhook.maxConnections, ip_address: webhook.ipAddress }),
      ...(allowedUpdates && { allowed_updates: [...allowedUpdates] }),
    }
  },

  getUpdates(context, params, { signal }) {
    if (context.delivery.webhook) throw new BotApiError(409, conflictWithWebhook)
    const { delivery } = context
    delivery.allowedUpdates = nextAllowedUpdates(params.allowed_updates, delivery.allowedUpdates)
    return context.polling.getUpdates(
      {
        offset: integer(params.offset, 0),
        limit: integer(params.limit, 100),
        timeout: integer(params.timeout, 0),
      },
      signal,
    )
  },

  createInvoiceLink(context, params) {
    if (params.subscription_period !== undefined && params.subscription_period !== STAR_SUBSCRIPTION_PERIOD) {
      throw badRequest('SUBSCRIPTION_PERIOD_INVALID')
    }
    const slug = randomSlug()
    const invoice: SimulatedInvoice = { slug, url: `https://t.me/$${slug}`, ...invoiceTerms(context, params) }
    if (typeof params.subscription_period === 'number')
      invoice.subscriptionPeriod = params.subscription_period
    context.invoices.set(slug, invoice)
    return invoice.url
  },

  sendInvoice: sendInvoiceMessage,

  sendMessage: sendBotMessage,

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
      chat: privateChat(context, user.id),
      from: user,
      refunded_payment: {
        currency: invoice.currency,
        total_amount: payment.amount,
        invoice_payload: invoice.payload,
        telegram_payment_charge_id: payment.chargeId,
        provider_payment_charge_id: payment.providerChargeId,
      },
    }
    context.messages.push(message)
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
}

/** Telegram treats method names case-insensitively. */
const methodsByLowerCaseName = new Map(Object.keys(botApiMethods).map((name) => [name.toLowerCase(), name]))

export function canonicalMethodName(name: string): string | undefined {
  return methodsByLowerCaseName.get(name.toLowerCase())
}

export { BotApiError }
