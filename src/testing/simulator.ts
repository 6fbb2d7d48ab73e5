// A local Telegram for tests and the demo: a fake Bot API at /bot<token>/<method> that checks every call against
// the spec, a user who pays invoices, webhook delivery with Telegram's retries and faults on demand, and a
// control API under /sim/.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type InitDataUser, signInitData, testUser } from './fixtures'
import { botApiMethods, canonicalMethodName } from './simulator/bot-api'
import { BotApiError, type SimulatorContext } from './simulator/context'
import { handleControlRequest } from './simulator/control-api'
import { WebhookDelivery } from './simulator/delivery'
import { corsHeaders, HttpError, readBotApiParams, sendJson } from './simulator/http'
import { pay, renewSubscription } from './simulator/payments'
import { createRecorder } from './simulator/recorder'
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
  Update,
} from './simulator/types'
import { validateMethodCall, validateObject } from './spec/validate'

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

const defaultRetryDelaysMs = [200, 1000, 3000, 10000, 30000]

export async function createTelegramSimulator(
  options: TelegramSimulatorOptions = {},
): Promise<TelegramSimulator> {
  const botToken = options.botToken ?? '123456789:TEST-simulator-token'
  const strict = options.strict ?? true
  const recorder = createRecorder(
    options.recordDir === false ? undefined : (options.recordDir ?? process.env.TMA_PAY_RECORD_DIR),
  )
  const calls: RecordedCall[] = []
  const injectedErrors: Array<{ method: string; error: BotApiError; remaining: number }> = []
  const holds: Array<{ method: string; arrived(): void; released: Promise<void> }> = []

  const delivery = new WebhookDelivery({
    retryDelaysMs: options.retryDelaysMs ?? defaultRetryDelaysMs,
    onUpdate(update) {
      // Non-strict simulators may be fed broken updates on purpose (sendUpdate); those are not spec evidence.
      if (strict || validateObject('Update', update).length === 0) recorder.write({ kind: 'update', update })
    },
    onWebhookReply(method, params) {
      const canonical = canonicalMethodName(method)
      if (canonical) callMethod(canonical, params)
    },
  })

  const context: SimulatorContext = {
    botToken,
    botInfo: makeBotInfo(botToken, options.botUsername ?? 'tma_pay_sim_bot'),
    delivery,
    preCheckoutTimeoutMs: options.preCheckoutTimeoutMs ?? 10_000,
    ...(options.providerTokens ? { providerTokens: options.providerTokens } : {}),
    invoices: new Map(),
    preCheckoutQueries: new Map(),
    payments: new Map(),
    transactions: [],
    nextMessageId: 1,
  }

  function callMethod(method: string, params: Record<string, unknown>): { status: number; body: unknown } {
    const call: RecordedCall = { method, params, at: new Date().toISOString(), ok: false }
    calls.push(call)
    recorder.write({ kind: 'call', method, params })
    try {
      const implementation = botApiMethods[method]
      if (!implementation) throw new BotApiError(404, 'Not Found')
      const problems = strict ? validateMethodCall(method, params) : []
      if (problems.length > 0) throw new BotApiError(400, `Bad Request: ${problems.join('; ')}`)
      const injected = injectedErrors.find((candidate) => candidate.method === method)
      if (injected) {
        if (--injected.remaining <= 0) injectedErrors.splice(injectedErrors.indexOf(injected), 1)
        throw injected.error
      }
      const result = implementation(context, params)
      Object.assign(call, { ok: true, result })
      return { status: 200, body: { ok: true, result } }
    } catch (error) {
      const apiError =
        error instanceof BotApiError
          ? error
          : new BotApiError(500, `Internal Server Error: ${(error as Error).message}`)
      call.error = {
        error_code: apiError.errorCode,
        description: apiError.description,
        ...(apiError.parameters && { parameters: apiError.parameters }),
      }
      return { status: apiError.errorCode, body: { ok: false, ...call.error } }
    }
  }

  async function handleBotApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    match: RegExpExecArray,
  ) {
    const [, token, rawMethod] = match
    if (token !== botToken) {
      return sendJson(response, 401, { ok: false, error_code: 401, description: 'Unauthorized' })
    }
    const method = canonicalMethodName(rawMethod!) ?? rawMethod!
    let params: Record<string, unknown>
    try {
      params = await readBotApiParams(request, url, method)
    } catch (error) {
      if (!(error instanceof HttpError)) throw error
      return sendJson(response, error.status, {
        ok: false,
        error_code: error.status,
        description: error.message,
      })
    }
    const hold = holds.findIndex((candidate) => candidate.method === method)
    if (hold >= 0) {
      const [{ arrived, released }] = holds.splice(hold, 1) as [(typeof holds)[number]]
      arrived()
      await released
    }
    const { status, body } = callMethod(method, params)
    sendJson(response, status, body)
  }

  let simulator: TelegramSimulator

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://simulator')
    if (url.pathname.startsWith('/sim/')) {
      if (request.method === 'OPTIONS') {
        response.writeHead(204, corsHeaders)
        return response.end()
      }
      return handleControlRequest(simulator, request, response, url.pathname)
    }
    // grammY's test environment puts '/test' between the token and the method.
    const botApiPath = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(url.pathname)
    if (botApiPath) return handleBotApi(request, response, url, botApiPath)
    sendJson(response, 404, { ok: false, error_code: 404, description: 'Not Found' })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy()
      else sendJson(response, 500, { ok: false, error_code: 500, description: String(error) })
    })
  })
  // Bot API clients (grammY's node-fetch agent) keep idle sockets open with no timeout of their own;
  // a server that closes them after 5 s races the next request into ECONNRESET. Telegram keeps
  // connections long too, so idle sockets stay until close().
  server.keepAliveTimeout = 0
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  simulator = {
    url: baseUrl,
    botToken,
    botInfo: context.botInfo,
    calls,
    deliveries: delivery.deliveries,
    get webhook() {
      const webhook = delivery.webhook
      return webhook && { url: webhook.url, ...(webhook.secretToken && { secretToken: webhook.secretToken }) }
    },
    transactions: context.transactions,
    get invoices() {
      return [...context.invoices.values()]
    },
    recordFile: recorder.file,
    pay: (invoiceUrlOrSlug, payOptions) => pay(context, invoiceUrlOrSlug, payOptions),
    renewSubscription: (chargeIdOrInvoicePayload) => renewSubscription(context, chargeIdOrInvoicePayload),
    fault: (fault) => delivery.addFault(fault),
    failNext(method, error = {}, times = 1) {
      const code = error.error_code ?? 500
      const description = error.description ?? defaultErrorDescription(code, error.retry_after)
      const parameters = error.retry_after === undefined ? undefined : { retry_after: error.retry_after }
      const canonical = canonicalMethodName(method) ?? method
      injectedErrors.push({
        method: canonical,
        error: new BotApiError(code, description, parameters),
        remaining: times,
      })
    },
    holdNext(method) {
      let arrived!: () => void
      let release!: () => void
      const reached = new Promise<void>((resolve) => {
        arrived = resolve
      })
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      holds.push({ method: canonicalMethodName(method) ?? method, arrived, released })
      return { reached, release }
    },
    async sendUpdate(update) {
      const { update_id: _ignored, ...body } = update as Partial<Update>
      if (strict) {
        const problems = validateObject('Update', { update_id: 1, ...body })
        if (problems.length > 0) throw new Error(`not a valid Update: ${problems.join('; ')}`)
      }
      await delivery.enqueue(body)
    },
    signInitData: (userId, user) => signInitData({ botToken, user: testUser(userId, user) }),
    idle: () => delivery.idle(),
    async close() {
      delivery.close()
      for (const query of context.preCheckoutQueries.values()) {
        if (!query.closed) {
          query.closed = true
          query.resolve(undefined)
        }
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
  return simulator
}

function defaultErrorDescription(code: number, retryAfter = 1): string {
  if (code === 429) return `Too Many Requests: retry after ${retryAfter}`
  if (code === 400) return 'Bad Request: simulated failure'
  if (code === 401) return 'Unauthorized'
  if (code === 403) return 'Forbidden: bot was blocked by the user'
  if (code === 404) return 'Not Found'
  if (code === 502) return 'Bad Gateway'
  return 'Internal Server Error'
}

function makeBotInfo(botToken: string, username: string): BotInfo {
  // A bot's id is the number before the colon of its token.
  const id = Number(botToken.split(':')[0])
  return {
    id: Number.isSafeInteger(id) ? id : 123456789,
    is_bot: true,
    first_name: 'tma-pay simulator',
    username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: true,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  }
}
