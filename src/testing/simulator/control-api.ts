// The simulator's own API under /sim/, for browsers (the demo's invoice sheet, mockMiniApp) and curl.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { corsHeaders, HttpError, readBody, sendJson } from './http'
import type { TelegramSimulator } from './interface'
import { InvoiceAlreadyPaidError, SubscriptionRenewalError, UnknownInvoiceError } from './payments'
import type { ChatInvoiceTarget, Fault } from './types'

const faultTypes = new Set(['drop', 'duplicate', 'delay', 'reorder'])
const faultTargets = new Set(['pre_checkout_query', 'successful_payment', 'refunded_payment', 'any'])

export async function handleControlRequest(
  simulator: TelegramSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const reply = (status: number, body: unknown) => sendJson(response, status, body, corsHeaders)
  try {
    const route = `${request.method} ${path}`
    const invoicePath = /^GET \/sim\/invoices\/([^/]+)$/.exec(route)
    if (invoicePath) {
      const slug = decodeURIComponent(invoicePath[1]!)
      const invoice = simulator.invoices.find((candidate) => candidate.slug === slug)
      if (!invoice) throw new HttpError(404, `no invoice ${slug}`)
      return reply(200, invoice)
    }
    const chatPath = /^GET \/sim\/chats\/(-?\d+)$/.exec(route)
    if (chatPath) return reply(200, { data: simulator.chat(Number(chatPath[1])) })
    switch (route) {
      case 'GET /sim/state':
        return reply(200, {
          url: simulator.url,
          // The fake token is no secret, and a bot of the app's own in another process needs it (the demo shop's).
          botToken: simulator.botToken,
          botInfo: simulator.botInfo,
          webhook: simulator.webhook ?? null,
          invoices: simulator.invoices,
          chatInvoices: simulator.chatInvoices,
          counts: {
            calls: simulator.calls.length,
            deliveries: simulator.deliveries.length,
            transactions: simulator.transactions.length,
            invoices: simulator.invoices.length,
            chatInvoices: simulator.chatInvoices.length,
            messages: simulator.messages.length,
            pendingUpdates: simulator.pendingUpdates.length,
          },
        })
      case 'GET /sim/calls':
        return reply(200, { data: simulator.calls })
      case 'GET /sim/deliveries':
        return reply(200, { data: simulator.deliveries })
      case 'GET /sim/transactions':
        return reply(200, { data: simulator.transactions })
      case 'POST /sim/pay': {
        const body = await readJson(request)
        const invoice = body.invoiceUrl ?? body.slug
        if (typeof invoice !== 'string') throw new HttpError(400, 'invoiceUrl or slug is required')
        if (!Number.isSafeInteger(body.userId)) throw new HttpError(400, 'userId must be an integer')
        if (body.outcome !== undefined && body.outcome !== 'paid' && body.outcome !== 'cancelled') {
          throw new HttpError(400, "outcome must be 'paid' or 'cancelled'")
        }
        const payment = await simulator.pay(invoice, {
          userId: body.userId as number,
          outcome: body.outcome as 'paid' | 'cancelled' | undefined,
          firstName: typeof body.firstName === 'string' ? body.firstName : undefined,
        })
        return reply(200, payment)
      }
      case 'POST /sim/messages': {
        // The user writes to the bot (/start, say); the answer is the message as the bot gets it.
        const body = await readJson(request)
        if (!Number.isSafeInteger(body.userId) || (body.userId as number) <= 0)
          throw new HttpError(400, 'userId must be a positive integer')
        if (typeof body.text !== 'string' || body.text.trim() === '' || [...body.text].length > 4096)
          throw new HttpError(400, 'text must be 1-4096 characters')
        const name = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined)
        const message = await simulator.sendMessage({
          userId: body.userId as number,
          text: body.text,
          firstName: name('firstName'),
          lastName: name('lastName'),
          username: name('username'),
          languageCode: name('languageCode'),
        })
        return reply(200, message)
      }
      case 'POST /sim/chat-invoices/pay': {
        // An invoice message by its messageId, or the latest sent to chatId; the payer is the chat's user by default.
        const body = await readJson(request)
        let target: ChatInvoiceTarget
        if (Number.isSafeInteger(body.messageId)) target = body.messageId as number
        else if (Number.isSafeInteger(body.chatId)) target = { chatId: body.chatId as number }
        else throw new HttpError(400, 'messageId or chatId is required')
        if (body.userId !== undefined && !Number.isSafeInteger(body.userId))
          throw new HttpError(400, 'userId must be an integer')
        if (body.outcome !== undefined && body.outcome !== 'paid' && body.outcome !== 'cancelled') {
          throw new HttpError(400, "outcome must be 'paid' or 'cancelled'")
        }
        const payment = await simulator.payChatInvoice(target, {
          ...(body.userId !== undefined && { userId: body.userId as number }),
          ...(body.outcome !== undefined && { outcome: body.outcome as 'paid' | 'cancelled' }),
          ...(typeof body.firstName === 'string' && { firstName: body.firstName }),
        })
        return reply(200, payment)
      }
      case 'POST /sim/subscriptions/renew': {
        const body = await readJson(request)
        const key = body.chargeId ?? body.invoicePayload
        if (typeof key !== 'string') throw new HttpError(400, 'chargeId or invoicePayload is required')
        return reply(200, await simulator.renewSubscription(key))
      }
      case 'POST /sim/fault': {
        const body = await readJson(request)
        if (!faultTypes.has(body.type as string))
          throw new HttpError(400, 'type must be drop, duplicate, delay or reorder')
        if (body.on !== undefined && !faultTargets.has(body.on as string)) {
          throw new HttpError(
            400,
            'on must be pre_checkout_query, successful_payment, refunded_payment or any',
          )
        }
        simulator.fault(body as unknown as Fault)
        return reply(200, { ok: true })
      }
      case 'POST /sim/init-data': {
        const body = await readJson(request)
        if (!Number.isSafeInteger(body.userId)) throw new HttpError(400, 'userId must be an integer')
        const initData = simulator.signInitData(body.userId as number, {
          ...(typeof body.firstName === 'string' && { first_name: body.firstName }),
          ...(typeof body.languageCode === 'string' && { language_code: body.languageCode }),
        })
        return reply(200, { initData })
      }
      default:
        throw new HttpError(404, `no route ${route}`)
    }
  } catch (error) {
    const status =
      error instanceof HttpError ||
      error instanceof SubscriptionRenewalError ||
      error instanceof InvoiceAlreadyPaidError
        ? error.status
        : error instanceof UnknownInvoiceError
          ? 404
          : 500
    const code =
      status === 404
        ? 'not_found'
        : status === 400
          ? 'validation_failed'
          : status === 409
            ? 'invalid_state'
            : 'internal'
    reply(status, { error: { code, message: error instanceof Error ? error.message : String(error) } })
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(request)
  if (!text) return {}
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === 'object' && json !== null && !Array.isArray(json))
      return json as Record<string, unknown>
  } catch {}
  throw new HttpError(400, 'the body must be a JSON object')
}
