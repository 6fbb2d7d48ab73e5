import { redactUrl } from '../../server/redact'
import { isInvoiceLink } from '../../testing/simulator/invoice-slug'
import type {
  SimulatedChatInvoice,
  SimulatedInvoice,
  SimulatedInvoiceTerms,
  SimulatedPayment,
} from '../../testing/simulator/types'
import { CliError, UsageError } from '../errors'
import { type FlagSpec, flagHelp, parseFlags, parseUserId } from '../flags'
import { simFlag, simRequest, simUrlFrom } from './client'

export const payFlags: readonly FlagSpec[] = [
  { name: 'user-id', value: 'ID', help: "the Telegram user who pays: the order's owner (required)" },
  { name: 'outcome', value: 'paid|cancelled', help: 'pay, or close the payment sheet (default paid)' },
  simFlag,
]

export const payHelp = `Usage: tma-pay pay <invoiceUrl|orderId> --user-id ID --sim URL [--outcome paid|cancelled]

Plays the user at Telegram's payment sheet on the simulator that \`tma-pay serve\` started: Telegram asks
the server (pre_checkout_query), and when it agrees takes the Stars and sends successful_payment. An order
id finds its invoice link, or its invoice message (a chat invoice: POST /admin/invoices, pay.sendInvoice).
Exits 0 when the outcome is the one asked for, 1 when the server refused or did not answer.

${flagHelp(payFlags)}`

/** `tma-pay pay`: pays (or cancels) an order's invoice through the simulator's control API. */
export async function runPay(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
): Promise<void> {
  const { values, positionals } = parseFlags('pay', argv, payFlags, true)
  if (values.help) return out(payHelp)
  if (positionals.length !== 1)
    throw new UsageError(
      'pay: give one invoice URL or order id, e.g. tma-pay pay ord_... --user-id 1001 --sim URL',
    )
  const target = positionals[0]!
  const userId = parseUserId(values['user-id'])
  const outcome = values.outcome ?? 'paid'
  if (outcome !== 'paid' && outcome !== 'cancelled')
    throw new UsageError(`--outcome must be paid or cancelled, not ${JSON.stringify(outcome)}.`)
  const simUrl = simUrlFrom(values, env)
  if (!simUrl)
    throw new UsageError(
      'pay: --sim URL is required: the simulator `tma-pay serve` printed (or TMA_PAY_SIM_URL).',
    )

  const invoice = await invoiceFor(simUrl, target)
  const payment =
    'messageId' in invoice
      ? await simRequest<SimulatedPayment<SimulatedInvoiceTerms>>(simUrl, 'POST', '/sim/chat-invoices/pay', {
          messageId: invoice.messageId,
          userId,
          outcome,
        })
      : await simRequest<SimulatedPayment>(simUrl, 'POST', '/sim/pay', {
          invoiceUrl: invoice.url,
          userId,
          outcome,
        })
  const what = `${payment.invoice.title} (${payment.invoice.totalAmount} ${payment.invoice.currency}), order ${payment.invoice.payload}`
  if (payment.outcome === 'refused')
    throw new CliError(
      `The server refused the payment of ${what}: ${payment.preCheckout?.errorMessage ?? 'no reason given'}`,
    )
  if (payment.outcome === 'no_answer')
    throw new CliError(
      `The server did not answer the pre-checkout query of ${what} in time; nothing was charged.`,
    )
  out(
    payment.outcome === 'paid'
      ? `paid: ${what}; charge ${payment.telegramPaymentChargeId}`
      : `cancelled: ${what}`,
  )
}

/**
 * An invoice URL as given, or the invoice the simulator made for an order (its payload is the order id): an
 * invoice link, else an invoice message (a chat invoice, sendInvoice).
 */
async function invoiceFor(simUrl: string, target: string): Promise<{ url: string } | { messageId: number }> {
  if (isInvoiceLink(target) || target.startsWith('$')) return { url: target }
  const { invoices, chatInvoices } = await simRequest<{
    invoices: SimulatedInvoice[]
    chatInvoices: SimulatedChatInvoice[]
  }>(simUrl, 'GET', '/sim/state')
  const invoice =
    invoices.findLast((candidate) => candidate.payload === target || candidate.slug === target) ??
    chatInvoices.findLast((candidate) => candidate.payload === target)
  if (!invoice)
    throw new CliError(
      `The simulator at ${redactUrl(simUrl)} has no invoice for ${JSON.stringify(target)}: create the order on this server first.`,
    )
  return invoice
}
