// The user's side of a payment: open the invoice, confirm, and Telegram's pre-checkout / successful_payment dance.
import { findChatInvoice, privateChat, userOf } from './chat'
import {
  type PaymentRecord,
  type PreCheckoutAnswer,
  randomQueryId,
  randomStarChargeId,
  type SimulatorContext,
  unixNow,
} from './context'
import { invoiceSlug } from './invoice-slug'
import type {
  ChatInvoiceTarget,
  ChatPayOptions,
  Message,
  PayOptions,
  SimulatedChatInvoice,
  SimulatedInvoice,
  SimulatedInvoiceTerms,
  SimulatedPayment,
  SuccessfulPayment,
  TelegramUser,
} from './types'

export { invoiceSlug } from './invoice-slug'

type AnyInvoice = SimulatedInvoice | SimulatedChatInvoice

const subscriptionPeriodOf = (invoice: AnyInvoice) =>
  'subscriptionPeriod' in invoice ? invoice.subscriptionPeriod : undefined

export function findInvoice(
  context: SimulatorContext,
  invoiceUrlOrSlug: string,
): SimulatedInvoice | undefined {
  return context.invoices.get(invoiceSlug(invoiceUrlOrSlug))
}

export class UnknownInvoiceError extends Error {
  constructor(what: string, madeBy = 'createInvoiceLink') {
    super(`no invoice ${what}: make it with ${madeBy} first`)
    this.name = 'UnknownInvoiceError'
  }
}

/** A chat invoice this user already paid: Telegram shows them a receipt instead of the Pay button. */
export class InvoiceAlreadyPaidError extends Error {
  readonly status = 409
  constructor(messageId: number, userId: number) {
    super(`user ${userId} already paid (or is paying) the invoice of message ${messageId}`)
    this.name = 'InvoiceAlreadyPaidError'
  }
}

export async function pay(
  context: SimulatorContext,
  invoiceUrlOrSlug: string,
  options: PayOptions,
): Promise<SimulatedPayment> {
  const invoice = findInvoice(context, invoiceUrlOrSlug)
  if (!invoice) throw new UnknownInvoiceError(invoiceUrlOrSlug)
  return payInvoice(context, invoice, options)
}

/** Pays an invoice message (sendInvoice), once per user. */
export async function payChatInvoice(
  context: SimulatorContext,
  target: ChatInvoiceTarget,
  options: ChatPayOptions = {},
): Promise<SimulatedPayment<SimulatedChatInvoice>> {
  const invoice = findChatInvoice(context, target)
  if (!invoice) throw new UnknownInvoiceError(JSON.stringify(target), 'sendInvoice')
  const userId = options.userId ?? invoice.chatId
  const key = `${invoice.messageId}:${userId}`
  // Taken before the pre-checkout query, so two payments of one invoice at once cannot both go through.
  if (invoice.paidBy.includes(userId) || context.chatInvoicesPaying.has(key))
    throw new InvoiceAlreadyPaidError(invoice.messageId, userId)
  context.chatInvoicesPaying.add(key)
  try {
    const payment = await payInvoice(context, invoice, { ...options, userId })
    if (payment.outcome === 'paid') invoice.paidBy.push(userId)
    return payment
  } finally {
    context.chatInvoicesPaying.delete(key)
  }
}

async function payInvoice<Invoice extends AnyInvoice>(
  context: SimulatorContext,
  invoice: Invoice,
  options: PayOptions,
): Promise<SimulatedPayment<Invoice>> {
  const { userId } = options
  if (options.outcome === 'cancelled') return { outcome: 'cancelled', userId, invoice }
  return context.delivery.track(async () => {
    const user = userOf(context, userId, options.firstName ? { firstName: options.firstName } : {})
    const queryId = randomQueryId()
    const amount = options.totalAmount ?? invoice.totalAmount
    const answer = await askPreCheckout(context, queryId, invoice, amount, user)
    const preCheckoutQueryId = queryId
    if (!answer) return { outcome: 'no_answer', userId, preCheckoutQueryId, invoice }
    if (!answer.ok) return { outcome: 'refused', userId, preCheckoutQueryId, preCheckout: answer, invoice }
    const payment = takePayment(context, invoice, amount, user)
    // Resolves after the first delivery attempt of successful_payment (at once if a fault holds it back).
    await context.delivery.enqueue({ message: successfulPaymentMessage(context, payment) })
    return {
      outcome: 'paid',
      userId,
      preCheckoutQueryId,
      preCheckout: answer,
      telegramPaymentChargeId: payment.chargeId,
      ...(payment.subscription && { subscriptionExpirationDate: payment.subscription.expiresAt }),
      invoice,
    }
  })
}

/** Sends pre_checkout_query and waits for the bot's answer, as Telegram does, for preCheckoutTimeoutMs at most. */
async function askPreCheckout(
  context: SimulatorContext,
  queryId: string,
  invoice: SimulatedInvoiceTerms,
  amount: number,
  user: TelegramUser,
): Promise<PreCheckoutAnswer | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const answered = new Promise<PreCheckoutAnswer | undefined>((resolve) => {
    const query = { id: queryId, closed: false, resolve }
    context.preCheckoutQueries.set(queryId, query)
    timer = setTimeout(() => {
      query.closed = true
      resolve(undefined)
    }, context.preCheckoutTimeoutMs)
  })
  void context.delivery.enqueue({
    pre_checkout_query: {
      id: queryId,
      from: user,
      currency: invoice.currency,
      total_amount: amount,
      invoice_payload: invoice.payload,
    },
  })
  const answer = await answered
  clearTimeout(timer)
  return answer
}

/** Telegram charges the user: the payment exists from here on, whether or not its webhook ever arrives. */
function takePayment(
  context: SimulatorContext,
  invoice: AnyInvoice,
  amount: number,
  user: TelegramUser,
  /** A renewal's: the subscription it continues. */
  renewing?: NonNullable<PaymentRecord['subscription']>,
): PaymentRecord {
  const date = unixNow()
  const stars = invoice.currency === 'XTR'
  const payment: PaymentRecord = {
    chargeId: stars ? randomStarChargeId() : `sim_${randomQueryId()}`,
    providerChargeId: `${user.id}_${context.payments.size + 1}`,
    user,
    invoice,
    amount,
    date,
    refunded: false,
  }
  const period = subscriptionPeriodOf(invoice)
  if (renewing) payment.subscription = renewing
  else if (period) payment.subscription = { period, expiresAt: date + period, canceled: false }
  context.payments.set(payment.chargeId, payment)
  // Only Stars pass through the bot's Star balance; card payments go to the provider.
  if (stars) {
    context.transactions.push({
      id: payment.chargeId,
      amount,
      date,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user,
        invoice_payload: invoice.payload,
        ...(period && { subscription_period: period }),
      },
    })
  }
  return payment
}

/** Why the simulator will not renew a subscription: none found (404), or canceled or refunded (409). */
export class SubscriptionRenewalError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message)
    this.name = 'SubscriptionRenewalError'
  }
}

/**
 * Telegram charges the next period of a subscription: a new charge id and Star transaction, the expiry one
 * period on, and `successful_payment` with `is_recurring` (no pre-checkout, as for real renewals). Every charge
 * of one subscription shares its state, so editUserStarSubscription with any of them (the latest, say) cancels it.
 */
export async function renewSubscription(
  context: SimulatorContext,
  chargeIdOrInvoicePayload: string,
): Promise<SimulatedPayment> {
  const all = [...context.payments.values()]
  const subscription =
    context.payments.get(chargeIdOrInvoicePayload)?.subscription ??
    all.findLast((payment) => payment.subscription && payment.invoice.payload === chargeIdOrInvoicePayload)
      ?.subscription
  if (!subscription)
    throw new SubscriptionRenewalError(
      404,
      `no subscription paid with charge or invoice payload ${chargeIdOrInvoicePayload}`,
    )
  const charges = all.filter((payment) => payment.subscription === subscription)
  if (subscription.canceled)
    throw new SubscriptionRenewalError(
      409,
      'the subscription was canceled (editUserStarSubscription): Telegram does not renew it',
    )
  if (charges.some((payment) => payment.refunded))
    throw new SubscriptionRenewalError(
      409,
      'a payment of the subscription was refunded: Telegram does not renew it',
    )
  const latest = charges.at(-1)!
  return context.delivery.track(async () => {
    subscription.expiresAt += subscription.period
    const payment = takePayment(context, latest.invoice, latest.amount, latest.user, subscription)
    await context.delivery.enqueue({ message: successfulPaymentMessage(context, payment, false) })
    return {
      outcome: 'paid',
      userId: latest.user.id,
      telegramPaymentChargeId: payment.chargeId,
      subscriptionExpirationDate: subscription.expiresAt,
      // Only createInvoiceLink makes subscriptions.
      invoice: latest.invoice as SimulatedInvoice,
    }
  })
}

function successfulPaymentMessage(context: SimulatorContext, payment: PaymentRecord, first = true): Message {
  const { invoice, user } = payment
  const successfulPayment: SuccessfulPayment = {
    currency: invoice.currency,
    total_amount: payment.amount,
    invoice_payload: invoice.payload,
    telegram_payment_charge_id: payment.chargeId,
    provider_payment_charge_id: payment.providerChargeId,
  }
  if (payment.subscription) {
    successfulPayment.subscription_expiration_date = payment.subscription.expiresAt
    successfulPayment.is_recurring = true
    if (first) successfulPayment.is_first_recurring = true
  }
  // The service message is in the payer's private chat with the bot.
  const message: Message = {
    message_id: context.nextMessageId++,
    date: payment.date,
    chat: privateChat(context, user.id),
    from: user,
    successful_payment: successfulPayment,
  }
  context.messages.push(message)
  return message
}
