// A local Telegram for tests and the demo: a fake Bot API at /bot<token>/<method> that checks every call against
// the spec, a user who writes to the bot and pays invoices, updates by webhook (with Telegram's retries) or by
// getUpdates long polling, faults on demand, and a control API under /sim/.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { signInitData, testUser } from '../fixtures'
import { validateMethodCall, validateObject } from '../spec/validate'
import { botApiMethods, canonicalMethodName } from './bot-api'
import { defaultErrorDescription, makeBotInfo } from './bot-info'
import { sendUserMessage } from './chat'
import { BotApiError, type SimulatorContext } from './context'
import { handleControlRequest } from './control-api'
import { WebhookDelivery } from './delivery'
import { corsHeaders, HttpError, readBotApiParams, sendJson } from './http'
import type { TelegramSimulator, TelegramSimulatorOptions } from './interface'
import { pay, payChatInvoice, renewSubscription } from './payments'
import { LongPolling } from './polling'
import { createRecorder } from './recorder'
import type { RecordedCall, Update } from './types'

export type { TelegramSimulator, TelegramSimulatorOptions } from './interface'

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
  /** getUpdates calls whose answer is not sent yet: close() answers their long polls and waits for the answers. */
  const pollAnswers = new Set<Promise<void>>()
  /** Releases of calls holdNext holds now. */
  const releases = new Set<() => void>()

  const delivery = new WebhookDelivery({
    retryDelaysMs: options.retryDelaysMs ?? defaultRetryDelaysMs,
    onUpdate(update) {
      // Non-strict simulators may be fed broken updates on purpose (sendUpdate); those are not spec evidence.
      if (strict || validateObject('Update', update).length === 0) recorder.write({ kind: 'update', update })
    },
    onWebhookReply(method, params) {
      const canonical = canonicalMethodName(method)
      // Runs at once (only getUpdates waits, and that is refused while a webhook is set).
      if (canonical) void callMethod(canonical, params, undefined, true)
    },
  })

  const context: SimulatorContext = {
    botToken,
    botInfo: makeBotInfo(botToken, options.botUsername ?? 'tma_pay_sim_bot'),
    delivery,
    polling: new LongPolling(delivery.queue),
    preCheckoutTimeoutMs: options.preCheckoutTimeoutMs ?? 10_000,
    allowHttpWebApps: options.allowHttpWebApps ?? false,
    ...(options.providerTokens ? { providerTokens: options.providerTokens } : {}),
    invoices: new Map(),
    chatInvoices: new Map(),
    chatInvoicesPaying: new Set(),
    users: new Map(),
    messages: [],
    preCheckoutQueries: new Map(),
    payments: new Map(),
    transactions: [],
    nextMessageId: 1,
  }

  // Async for getUpdates' long poll only: every other method runs to its end before the first await, so a webhook
  // reply (answerPreCheckoutQuery, say) takes effect before the webhook call that carried it is done.
  async function callMethod(
    method: string,
    params: Record<string, unknown>,
    signal: AbortSignal = new AbortController().signal,
    viaWebhookReply = false,
  ): Promise<{ status: number; body: unknown }> {
    const call: RecordedCall = {
      method,
      params,
      at: new Date().toISOString(),
      ok: false,
      ...(viaWebhookReply ? { viaWebhookReply: true as const } : {}),
    }
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
      let result = implementation(context, params, { signal })
      if (result instanceof Promise) result = await result
      Object.assign(call, { ok: true, result })
      // What a lenient simulator answers to calls that break the spec is no evidence of the spec either.
      if (strict) recorder.write({ kind: 'result', method, result })
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
    // The caller hanging up (grammY's bot.stop() aborts its long poll) ends the call's wait. 'close' comes
    // once the answer is sent, too.
    const hangUp = new AbortController()
    const closed = new Promise<void>((resolve) =>
      response.once('close', () => {
        if (!response.writableEnded) hangUp.abort()
        resolve()
      }),
    )
    const answered = callMethod(method, params, hangUp.signal).then(({ status, body }) => {
      if (!response.destroyed) sendJson(response, status, body)
    })
    if (method !== 'getUpdates') return answered
    const sent = answered.then(() => closed)
    pollAnswers.add(sent)
    await sent.finally(() => pollAnswers.delete(sent))
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
    get chatInvoices() {
      return [...context.chatInvoices.values()]
    },
    messages: context.messages,
    get pendingUpdates() {
      return delivery.pendingUpdates
    },
    recordFile: recorder.file,
    chat: (chatId) => context.messages.filter((message) => message.chat.id === chatId),
    sendMessage: (messageOptions) => sendUserMessage(context, messageOptions),
    pay: (invoiceUrlOrSlug, payOptions) => pay(context, invoiceUrlOrSlug, payOptions),
    payChatInvoice: (invoice, payOptions) => payChatInvoice(context, invoice, payOptions),
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
        release = () => {
          releases.delete(release)
          resolve()
        }
        releases.add(release)
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
    polled: ({ timeoutMs = 10_000 } = {}) => delivery.polled(timeoutMs),
    async close() {
      // A long poll in flight is answered (with no updates) and its answer sent before the sockets close; a
      // call held by holdNext is let go, so it cannot keep close() waiting.
      context.polling.close()
      for (const release of [...releases]) release()
      await Promise.all(pollAnswers)
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
