import type { Update } from 'grammy/types'
import { PayError } from '../core/errors'
import { isStorableText } from './input'

// The webhook's edge: an update is checked here before grammY or the store see it. Telegram sends well-formed
// updates; anything else (a leaked secret, a bug) is answered 400 and never reaches SQL.

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

function check(value: unknown, shape: Shape, path: string): void {
  if (!isObject(value)) throw invalid(`${path} must be an object`)
  for (const [field, rule] of Object.entries(shape)) {
    const optional = rule.endsWith('?')
    const fieldValue = value[field]
    if (fieldValue === undefined && optional) continue
    if (!checks[rule.replace('?', '') as keyof typeof checks](fieldValue))
      throw invalid(`${path}.${field} is missing or malformed`)
  }
}

const invalid = (reason: string) =>
  new PayError('validation_failed', `The body is not a Telegram Update: ${reason}.`)

/** The webhook body as a Telegram Update, with every part tma-pay reads checked; 400 otherwise. */
export function parseTelegramUpdate(body: unknown): Update {
  if (!isObject(body) || !Number.isSafeInteger(body.update_id) || (body.update_id as number) < 0)
    throw invalid('update_id must be a non-negative integer')
  if (body.pre_checkout_query !== undefined) {
    check(body.pre_checkout_query, preCheckoutQuery, 'pre_checkout_query')
    check((body.pre_checkout_query as Record<string, unknown>).from, user, 'pre_checkout_query.from')
  }
  const { message } = body
  if (message !== undefined) {
    if (!isObject(message)) throw invalid('message must be an object')
    check(message.chat, { id: 'int' }, 'message.chat')
    if (message.from !== undefined) check(message.from, user, 'message.from')
    if (message.successful_payment !== undefined)
      check(message.successful_payment, successfulPayment, 'message.successful_payment')
    if (message.refunded_payment !== undefined)
      check(message.refunded_payment, refundedPayment, 'message.refunded_payment')
  }
  return body as unknown as Update
}
