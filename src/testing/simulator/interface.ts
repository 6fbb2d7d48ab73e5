// What createTelegramSimulator takes and gives.
import type { InitDataUser } from '../fixtures'
import type {
  BotInfo,
  Fault,
  InjectedBotApiError,
  PayOptions,
  RecordedCall,
  RecordedDelivery,
  SimulatedInvoice,
  SimulatedPayment,
  StarTransaction,
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
  readonly calls: readonly RecordedCall[]
  readonly deliveries: readonly RecordedDelivery[]
  readonly webhook: { url: string; secretToken?: string } | undefined
  /** Star transactions Telegram made, oldest first: payments taken (even when their webhook never arrived) and refunds. */
  readonly transactions: readonly StarTransaction[]
  readonly invoices: readonly SimulatedInvoice[]
  /** The JSON-lines file calls and updates are recorded to, if recording. */
  readonly recordFile: string | undefined
  /** Plays the user paying an invoice link made by createInvoiceLink. Resolves once the outcome is known and
   * (when paid) the first delivery of successful_payment is done; await idle() for retries. */
  pay(invoiceUrlOrSlug: string, options: PayOptions): Promise<SimulatedPayment>
  /**
   * Plays Telegram charging the next period of a subscription (by any of its charge ids, or its invoice
   * payload): a new charge, expiry one period on, `successful_payment` with `is_recurring`. Rejects when the
   * subscription was canceled (editUserStarSubscription) or a payment of it refunded. Resolves after the
   * first delivery attempt.
   */
  renewSubscription(chargeIdOrInvoicePayload: string): Promise<SimulatedPayment>
  /** A fault on the next matching update(s): drop it, deliver `count` copies at once, delay it `ms`, or hold it and
   * deliver it after the next one (reorder). */
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
  /** Resolves when no delivery (or retry) is in flight or scheduled, and no pay() is running. */
  idle(): Promise<void>
  close(): Promise<void>
}
