// Shapes the simulator sends and keeps. Bot API objects follow src/testing/spec/bot-api.json (Bot API 10.1);
// only the fields the simulator fills are typed.

export interface TelegramUser {
  id: number
  is_bot: boolean
  first_name: string
  last_name?: string
  username?: string
  language_code?: string
  /** Telegram leaves optional flags out rather than sending false. */
  is_premium?: true
}

/** What getMe returns: a User with the fields "Returned only in getMe". */
export interface BotInfo extends TelegramUser {
  is_bot: true
  username: string
  can_join_groups: boolean
  can_read_all_group_messages: boolean
  supports_inline_queries: boolean
  can_connect_to_business: boolean
  has_main_web_app: boolean
  has_topics_enabled: boolean
  allows_users_to_create_topics: boolean
  can_manage_bots: boolean
  supports_join_request_queries: boolean
}

export interface LabeledPrice {
  label: string
  amount: number
}

export interface PrivateChat {
  id: number
  type: 'private'
  first_name?: string
  last_name?: string
  username?: string
}

export interface SuccessfulPayment {
  currency: string
  total_amount: number
  invoice_payload: string
  subscription_expiration_date?: number
  is_recurring?: true
  is_first_recurring?: true
  telegram_payment_charge_id: string
  provider_payment_charge_id: string
}

export interface RefundedPayment {
  currency: string
  total_amount: number
  invoice_payload: string
  telegram_payment_charge_id: string
  provider_payment_charge_id?: string
}

export interface MessageEntity {
  /** 'bot_command' for a /command, 'bold', 'text_link', ... */
  type: string
  /** In UTF-16 code units, as JavaScript string indices. */
  offset: number
  length: number
  url?: string
  user?: TelegramUser
  language?: string
  custom_emoji_id?: string
}

/** The invoice of an invoice message (sendInvoice). */
export interface Invoice {
  title: string
  description: string
  /** What sendInvoice got as start_parameter; '' if none. */
  start_parameter: string
  currency: string
  total_amount: number
}

export interface InlineKeyboardButton {
  text: string
  /** A Mini App button: opens `url` in Telegram with the user's init data. */
  web_app?: { url: string }
  url?: string
  callback_data?: string
  pay?: boolean
  [field: string]: unknown
}

export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][]
}

export interface Message {
  message_id: number
  date: number
  chat: PrivateChat
  from?: TelegramUser
  text?: string
  entities?: MessageEntity[]
  invoice?: Invoice
  successful_payment?: SuccessfulPayment
  refunded_payment?: RefundedPayment
  reply_markup?: InlineKeyboardMarkup
}

export interface PreCheckoutQuery {
  id: string
  from: TelegramUser
  currency: string
  total_amount: number
  invoice_payload: string
}

/** An Update; `update_id` is assigned by the simulator when the update enters delivery. */
export interface Update {
  update_id: number
  message?: Message
  pre_checkout_query?: PreCheckoutQuery
  [updateType: string]: unknown
}

export interface TransactionPartnerUser {
  type: 'user'
  transaction_type: 'invoice_payment'
  user: TelegramUser
  invoice_payload?: string
  subscription_period?: number
}

export interface StarTransaction {
  /** For a payment: its telegram_payment_charge_id. For a refund: the id of the payment refunded. */
  id: string
  amount: number
  date: number
  /** Incoming transactions (payments) have a source... */
  source?: TransactionPartnerUser
  /** ...outgoing ones (refunds) a receiver. */
  receiver?: TransactionPartnerUser
}

/** What every invoice has, made by createInvoiceLink or sendInvoice. */
export interface SimulatedInvoiceTerms {
  title: string
  description: string
  payload: string
  currency: string
  prices: LabeledPrice[]
  totalAmount: number
  photoUrl?: string
  createdAt: string
}

/** An invoice made by createInvoiceLink. */
export interface SimulatedInvoice extends SimulatedInvoiceTerms {
  slug: string
  /** https://t.me/$<slug>, what createInvoiceLink returned. */
  url: string
  subscriptionPeriod?: number
}

/** An invoice message made by sendInvoice: paid with payChatInvoice, once per user (then it shows a receipt). */
export interface SimulatedChatInvoice extends SimulatedInvoiceTerms {
  chatId: number
  /** The invoice message's message_id. */
  messageId: number
  startParameter: string
  /** Users who paid it, in order. */
  paidBy: number[]
}

/** Which chat invoice payChatInvoice pays: its message (or message_id), or the latest invoice sent to a chat. */
export type ChatInvoiceTarget = number | { message_id: number } | { chatId: number }

export type PaymentOutcome = 'paid' | 'refused' | 'cancelled' | 'no_answer'

export interface SimulatedPayment<Invoice extends SimulatedInvoiceTerms = SimulatedInvoice> {
  /** paid: Telegram took the money; refused: the bot answered ok=false; cancelled: the user closed the sheet;
   * no_answer: the bot did not answer the pre-checkout query in time. */
  outcome: PaymentOutcome
  userId: number
  preCheckoutQueryId?: string
  preCheckout?: { ok: boolean; errorMessage?: string }
  telegramPaymentChargeId?: string
  /** A subscription's paid period ends then (Unix time), as successful_payment's subscription_expiration_date. */
  subscriptionExpirationDate?: number
  invoice: Invoice
}

export interface PayOptions {
  userId: number
  /** What the user does at the payment sheet. Default 'paid' (they pay; the bot still decides at pre-checkout). */
  outcome?: 'paid' | 'cancelled'
  firstName?: string
  /** Pay this amount instead of the invoice's, as a tampered or stale invoice would: tests the bot's check at
   * pre-checkout. Default: the invoice's total. */
  totalAmount?: number
}

/** payChatInvoice's options: PayOptions, with the payer the chat's user unless told otherwise. */
export type ChatPayOptions = Omit<PayOptions, 'userId'> & {
  /** Default: the invoice's chat id (in a private chat, its user). */
  userId?: number
}

/** A chat message the simulated user sends the bot (TelegramSimulator.sendMessage). */
export interface UserMessageOptions {
  userId: number
  /** The message; a /command in it gets a bot_command entity, as Telegram marks them. */
  text: string
  /** Default: the name the simulator knows the user by (from an earlier message or payment), else 'Test'. */
  firstName?: string
  /** Default none. */
  lastName?: string
  /** Default none. */
  username?: string
  /** Default 'en'. */
  languageCode?: string
}

export type FaultTarget = 'pre_checkout_query' | 'successful_payment' | 'refunded_payment' | 'any'

export interface Fault {
  /** drop: never deliver; duplicate: deliver `count` copies at once; delay: deliver after `ms`;
   * reorder: hold the update and deliver it after the next one. For updates waiting for getUpdates (no webhook
   * set): the copies come side by side in one answer; a delayed or reordered update is made late (its update_id
   * assigned when it enters the queue), since an offset past a later update would confirm it unseen. */
  type: 'drop' | 'duplicate' | 'delay' | 'reorder'
  /** Which updates it hits. Default 'any'. */
  on?: FaultTarget
  /** Copies for 'duplicate'. Default 2. */
  count?: number
  /** Wait for 'delay'. Default 1000. */
  ms?: number
  /** How many matching updates it hits. Default 1. */
  times?: number
}

/** A Bot API error to answer with instead of running a method (see TelegramSimulator.failNext). */
export interface InjectedBotApiError {
  /** Default 500. */
  error_code?: number
  /** Default from the code: 'Internal Server Error', 'Too Many Requests: retry after N', 'Bad Request: ...'. */
  description?: string
  /** For 429: sent as parameters.retry_after, as Telegram does. */
  retry_after?: number
}

export interface RecordedCall {
  method: string
  params: Record<string, unknown>
  at: string
  ok: boolean
  result?: unknown
  error?: { error_code: number; description: string; parameters?: { retry_after?: number } }
  /** Made in a webhook's response (a webhook reply), not by a request of its own. */
  viaWebhookReply?: true
}

/** A webhook call, or an update a fault dropped (with a webhook or without). */
export interface RecordedDelivery {
  updateId: number
  update: Update
  /** 1 for the first delivery, 2 for the first redelivery, ... */
  attempt: number
  /** The webhook's HTTP status, or 0 when it could not be reached (or the update was dropped by a fault). */
  status: number
  at: string
  fault?: Fault['type']
  error?: string
  /** Set on the last failed attempt, after which Telegram stops redelivering. */
  gaveUp?: true
}

export interface WebhookSettings {
  url: string
  secretToken?: string
  maxConnections?: number
  /** What getWebhookInfo shows as ip_address. */
  ipAddress: string
}
