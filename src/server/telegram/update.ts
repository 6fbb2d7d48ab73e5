import type { Update } from 'grammy/types'
import { PayError } from '../../core/errors'
import { isStorableText } from '../input'

// The parts of an update tma-pay reads, checked before grammY's handlers or the store see them. Telegram sends
// well-formed updates; anything else (a leaked secret, a bug, a proxy in between) is refused: by the built-in
// webhook with a 400, by the handlers (an app's bot, getUpdates) with a log line.

type Shape = Record<
  string,
  'string' | 'id' | 'int' | 'bool' | 'time' | `${'string' | 'int' | 'bool' | 'time'}?`
>

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// Unix seconds up to the end of year 9999, the dates a Date and PostgreSQL both hold.
const LAST_UNIX_SECOND = 253_402_300_799

const checks = {
  string: (value: unknown) => typeof value === 'string' && isStorableText(value),
  id: (value: unknown) => typeof value === 'string' && value.length > 0 && isStorableText(value),
  int: (value: unknown) => Number.isSafeInteger(value),
  bool: (value: unknown) => typeof value === 'boolean',
  time: (value: unknown) =>
    Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= LAST_UNIX_SECOND,
}

const user: Shape = { id: 'int' }
const preCheckoutQuery: Shape = {
  id: 'id',
  currency: 'string',
  total_amount: 'int',
  invoice_payload: 'string',
}
const successfulPayment: Shape = {
  currency: 'string',
  total_amount: 'int',
  invoice_payload: 'string',
  telegram_payment_charge_id: 'id',
  provider_payment_charge_id: 'string',
  subscription_expiration_date: 'time?',
  is_recurring: 'bool?',
  is_first_recurring: 'bool?',
}
const refundedPayment: Shape = {
  currency: 'string',
  total_amount: 'int',
  invoice_payload: 'string',
  telegram_payment_charge_id: 'id',
  provider_payment_charge_id: 'string?',
}

/** What is wrong with `value` as `shape` (the first problem), or undefined when nothing is. */
function problemOf(value: unknown, shape: Shape, path: string): string | undefined {
  if (!isObject(value)) return `${path} must be an object`
  for (const [field, rule] of Object.entries(shape)) {
    const optional = rule.endsWith('?')
    const fieldValue = value[field]
    if (fieldValue === undefined && optional) continue
    if (!checks[rule.replace('?', '') as keyof typeof checks](fieldValue))
      return `${path}.${field} is missing or malformed`
  }
  return undefined
}

/** What is wrong with a pre_checkout_query for tma-pay to answer it, or undefined. */
export const preCheckoutProblem = (query: unknown): string | undefined =>
  problemOf(query, preCheckoutQuery, 'pre_checkout_query') ??
  problemOf((query as Record<string, unknown>).from, user, 'pre_checkout_query.from')

/** What is wrong with a message's chat and sender, or undefined. */
function messageProblem(message: unknown): string | undefined {
  if (!isObject(message)) return 'message must be an object'
  return (
    problemOf(message.chat, { id: 'int' }, 'message.chat') ??
    (message.from === undefined ? undefined : problemOf(message.from, user, 'message.from'))
  )
}

/** What is wrong with a message carrying `successful_payment` for tma-pay to record it, or undefined. */
export const successfulPaymentProblem = (message: unknown): string | undefined =>
  messageProblem(message) ??
  problemOf(
    (message as Record<string, unknown>).successful_payment,
    successfulPayment,
    'message.successful_payment',
  )

/** What is wrong with a message carrying `refunded_payment` for tma-pay to record it, or undefined. */
export const refundedPaymentProblem = (message: unknown): string | undefined =>
  messageProblem(message) ??
  problemOf(
    (message as Record<string, unknown>).refunded_payment,
    refundedPayment,
    'message.refunded_payment',
  )

const invalid = (reason: string) =>
  new PayError('validation_failed', `The body is not a Telegram Update: ${reason}.`)

/** The webhook body as a Telegram Update, with every part tma-pay reads checked; 400 otherwise. */
export function parseTelegramUpdate(body: unknown): Update {
  if (!isObject(body) || !Number.isSafeInteger(body.update_id) || (body.update_id as number) < 0)
    throw invalid('update_id must be a non-negative integer')
  const problem =
    (body.pre_checkout_query === undefined ? undefined : preCheckoutProblem(body.pre_checkout_query)) ??
    messageProblemOf(body.message)
  if (problem) throw invalid(problem)
  return body as unknown as Update
}

function messageProblemOf(message: unknown): string | undefined {
  if (message === undefined) return undefined
  if (!isObject(message)) return 'message must be an object'
  if (message.successful_payment !== undefined) return successfulPaymentProblem(message)
  if (message.refunded_payment !== undefined) return refundedPaymentProblem(message)
  return messageProblem(message)
}
