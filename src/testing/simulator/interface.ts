// What createTelegramSimulator takes and gives.
import type { InitDataUser } from '../fixtures'
import type {
  BotInfo,
  ChatInvoiceTarget,
  ChatPayOptions,
  Fault,
  InjectedBotApiError,
  Message,
  PayOptions,
  RecordedCall,
  RecordedDelivery,
  SimulatedChatInvoice,
  SimulatedInvoice,
  SimulatedPayment,
  StarTransaction,
  Update,
  UserMessageOptions,
} from './types'

export interface TelegramSimulatorOptions {
  /** Token the fake Bot API accepts. Default '123456789:TEST-simulator-token' (looks like a real one). */
  botToken?: string
  /** Default 0: a free port. */
  port?: number
  /** Default '127.0.0.1'. */
  host?: string
  /** Default 'tma_pay_sim_bot'. */
  botUsername?: string
  /** Delays in ms between redeliveries of an update whose webhook call got no 2xx; after the last, Telegram gives
   * up. Default [200, 1000, 3000, 10000, 30000]. */
  retryDelaysMs?: number[]
  /** How long pay() waits for answerPreCheckoutQuery (Telegram: 10 s). Default 10000. */
  preCheckoutTimeoutMs?: number
  /**
   * Payment provider tokens createInvoiceLink accepts for currencies other than XTR; any other token is
   * answered `400 Bad Request: PAYMENT_PROVIDER_INVALID`, as Telegram does. Default: any token of
   * BotFather's form, `<provider id>:TEST:<key>` or `<provider id>:LIVE:<key>`.
   */
  providerTokens?: readonly string[]
  /** Take http:// URLs in web_app buttons, as Telegram's test environment does (production Telegram answers 400:
   * Mini Apps are HTTPS only). Default false. */
  allowHttpWebApps?: boolean
  /** Validate each incoming call against the spec and answer 400 on a violation. Default true. */
  strict?: boolean
  /** If set, append every call and every delivered update as JSON lines to a file in this dir (for the
   * conformance test). Default process.env.TMA_PAY_RECORD_DIR; false turns recording off. */
  recordDir?: string | false
}

export interface TelegramSimulator {
  /** 'http://127.0.0.1:PORT': pass it as grammY's apiRoot. */
  readonly url: string
  readonly botToken: string
  /** What getMe returns; pass it as grammY's botInfo to skip the getMe call at start. */
  readonly botInfo: BotInfo
  /** Every Bot API call, oldest first, with its result or error (a long poll's once it is answered). */
  readonly calls: readonly RecordedCall[]
  /** Every webhook call, and every update a fault dropped; updates handed out by getUpdates are in `calls`. */
  readonly deliveries: readonly RecordedDelivery[]
  readonly webhook: { url: string; secretToken?: string } | undefined
  /** Star transactions Telegram made, oldest first: payments taken (even when their webhook never arrived) and refunds. */
  readonly transactions: readonly StarTransaction[]
  /** Invoice links made by createInvoiceLink, oldest first. */
  readonly invoices: readonly SimulatedInvoice[]
  /** Invoice messages made by sendInvoice, oldest first. */
  readonly chatInvoices: readonly SimulatedChatInvoice[]
  /** Every message in every chat, oldest first: what users sent (sendMessage), what the bot sent (the Bot API's
   * sendMessage and sendInvoice, as Telegram returned them), and payment service messages. */
  readonly messages: readonly Message[]
  /** Updates waiting for getUpdates, oldest first: made while no webhook is set, and not yet confirmed by a
   * getUpdates offset past them (handed out but unconfirmed ones included, as Telegram keeps them). */
  readonly pendingUpdates: readonly Update[]
  /** The JSON-lines file calls and updates are recorded to, if recording. */
  readonly recordFile: string | undefined
  /** The messages of one private chat (its id is the user's id), oldest first, both ways: e.g. the bot's answer to
   * `/start` is `sim.chat(userId).findLast((m) => m.from?.is_bot)`. */
  chat(chatId: number): readonly Message[]
  /**
   * Plays a user writing to the bot in their private chat: a `message` update from a private chat whose id is the
   * user id, with a `bot_command` entity for each /command (`/start`, `/start payload`, `/help@bot`), as Telegram
   * marks them. Resolves with the message after its first delivery attempt (with a webhook) or once it is queued
   * for getUpdates (without one: await polled() for the bot to have handled it).
   */
  sendMessage(options: UserMessageOptions): Promise<Message>
  /** Plays the user paying an invoice link made by createInvoiceLink. Resolves once the outcome is known and
   * (when paid) the first delivery of successful_payment is done (with a webhook; await idle() for retries) or
   * it is queued for getUpdates (without one; await polled()). */
  pay(invoiceUrlOrSlug: string, options: PayOptions): Promise<SimulatedPayment>
  /**
   * Plays the user paying an invoice message made by sendInvoice: the same dance as pay() (pre_checkout_query,
   * wait for the answer, then `successful_payment` inside a `message` in the payer's private chat). The target is
   * the invoice message (as sendInvoice returned it, or its message_id), or `{ chatId }` for the latest invoice
   * sent to that chat; the payer is the chat's user unless `userId` says otherwise. A user pays an invoice message
   * once (Telegram shows a receipt after): paying it again, or while a payment of it is under way, rejects with
   * an InvoiceAlreadyPaidError; an unknown invoice rejects with an UnknownInvoiceError.
   */
  payChatInvoice(
    invoice: ChatInvoiceTarget,
    options?: ChatPayOptions,
  ): Promise<SimulatedPayment<SimulatedChatInvoice>>
  /**
   * Plays Telegram charging the next period of a subscription (by any of its charge ids, or its invoice
   * payload): a new charge, expiry one period on, `successful_payment` with `is_recurring`. Rejects when the
   * subscription was canceled (editUserStarSubscription) or a payment of it refunded. Resolves after the
   * first delivery attempt.
   */
  renewSubscription(chargeIdOrInvoicePayload: string): Promise<SimulatedPayment>
  /** A fault on the next matching update(s): drop it, deliver `count` copies at once, delay it `ms`, or hold it and
   * deliver it after the next one (reorder); by webhook or getUpdates (see Fault). */
  fault(fault: Fault): void
  /** The next `times` (default 1) calls to `method` answer with this error instead of running: Telegram having a
   * bad moment (default 500 'Internal Server Error'), or flood control (429 with retry_after). */
  failNext(method: string, error?: InjectedBotApiError, times?: number): void
  /**
   * Holds the next call to `method` before it runs, until `release()`: `reached` resolves once the call has
   * arrived. For races with a call in flight (a renewal landing while refundStarPayment is under way).
   */
  holdNext(method: string): { reached: Promise<void>; release(): void }
  /** Delivers an arbitrary update (its update_id assigned) through the same pipeline. In strict mode it must be a
   * valid Update. Resolves after its first delivery attempt. */
  sendUpdate(update: object): Promise<void>
  /** Signed init data for a user of this simulator's bot. */
  signInitData(userId: number, user?: Partial<InitDataUser>): string
  /**
   * Resolves when no delivery (or retry) is in flight or scheduled, and no pay() is running. It does not wait for
   * a poller to fetch the updates waiting for getUpdates (they may wait for ever if none polls): see polled().
   */
  idle(): Promise<void>
  /**
   * Resolves once idle() would and no update waits for getUpdates any more: every update made so far was delivered
   * to a webhook or confirmed by a getUpdates offset past it. grammY's bot.start() confirms a batch with its next
   * getUpdates, after its handlers for the batch have run, so this is the point to assert "handled exactly once"
   * of a polling bot. (@grammyjs/runner fetches the next batch while the last is still handled, so with it this
   * only says the updates were fetched.) Rejects after `timeoutMs` (default 10000) with what still waits.
   */
  polled(options?: { timeoutMs?: number }): Promise<void>
  /** Ends a long poll in flight (it is answered with no updates), stops deliveries and closes the server. */
  close(): Promise<void>
}
