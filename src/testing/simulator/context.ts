// What the simulated Telegram knows: the bot, its invoices, open pre-checkout queries, payments and the Star ledger.
import { randomBytes } from 'node:crypto'
import type { WebhookDelivery } from './delivery'
import type { LongPolling } from './polling'
import type {
  BotInfo,
  Message,
  SimulatedChatInvoice,
  SimulatedInvoice,
  StarTransaction,
  TelegramUser,
} from './types'

/** A Bot API error, answered as `{ ok: false, error_code, description }` with that HTTP status. */
export class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    /** ResponseParameters, e.g. retry_after on 429. */
    readonly parameters?: { retry_after?: number },
  ) {
    super(description)
    this.name = 'BotApiError'
  }
}

export const badRequest = (reason: string) => new BotApiError(400, `Bad Request: ${reason}`)

export interface PreCheckoutAnswer {
  ok: boolean
  errorMessage?: string
}

export interface OpenPreCheckoutQuery {
  id: string
  /** Set once answered, or once pay() stopped waiting: later answers get "query is too old". */
  closed: boolean
  resolve(answer: PreCheckoutAnswer | undefined): void
}

/** A payment Telegram took, by telegram_payment_charge_id. */
export interface PaymentRecord {
  chargeId: string
  providerChargeId: string
  user: TelegramUser
  invoice: SimulatedInvoice | SimulatedChatInvoice
  /** What the user paid: the invoice's total unless pay() was told otherwise. */
  amount: number
  date: number
  refunded: boolean
  subscription?: { period: number; expiresAt: number; canceled: boolean }
}

export interface SimulatorContext {
  readonly botToken: string
  readonly botInfo: BotInfo
  readonly delivery: WebhookDelivery
  readonly polling: LongPolling
  readonly preCheckoutTimeoutMs: number
  /** Whether web_app buttons may have http:// URLs (Telegram's test environment). */
  readonly allowHttpWebApps: boolean
  /** The provider tokens createInvoiceLink accepts; absent: any of BotFather's form. */
  readonly providerTokens?: readonly string[]
  readonly invoices: Map<string, SimulatedInvoice>
  /** Invoice messages (sendInvoice), by message_id. */
  readonly chatInvoices: Map<number, SimulatedChatInvoice>
  /** Chat invoice payments under way, as `${messageId}:${userId}`: a second pay() of one waits for none. */
  readonly chatInvoicesPaying: Set<string>
  /** The users the simulator has met (messages, payments), by id: a private chat's id is its user's. */
  readonly users: Map<number, TelegramUser>
  /** Every message in every chat, oldest first: the users', the bot's, payment service messages. */
  readonly messages: Message[]
  readonly preCheckoutQueries: Map<string, OpenPreCheckoutQuery>
  readonly payments: Map<string, PaymentRecord>
  /** Star transactions in the order they happened (getStarTransactions answers newest first). */
  readonly transactions: StarTransaction[]
  nextMessageId: number
}

export const unixNow = () => Math.floor(Date.now() / 1000)

export const randomSlug = () => randomBytes(12).toString('base64url')

/** Telegram's pre-checkout query ids are 64-bit integers in decimal. */
export const randomQueryId = () => randomBytes(8).readBigUInt64BE().toString()

/** Star charge ids look like 'stx' and a long base64url tail. */
export const randomStarChargeId = () => `stx${randomBytes(40).toString('base64url')}`
