// Chat invoices: an order whose invoice is a message in a chat (sendInvoice, the flow of the grammY bot notes)
// instead of a link the Mini App opens. Same creation path as POST /orders: catalog price, idempotency, rate
// limit, ownership checks; then the same pre-checkout checks and payment path, as the payload is the order id.
import type { Api } from 'grammy'
import { type Order, PayError } from '../core'
import { kindOf } from '../core/order-rules'
import { type ProductCatalog, productForSale } from './catalog'
import { fail, isObject, parseCreateOrderBody, parseIdempotencyKey } from './input'
import { invoicePrices, providerTokenFor } from './invoice-link'
import type { MakeInvoice, OrderService } from './orders'
import { telegramError } from './telegram-error'

/** What `pay.sendInvoice` takes (and `POST /admin/invoices`, with the key in `Idempotency-Key`). */
export interface SendInvoiceRequest {
  /**
   * The chat the invoice message goes to: the user's private chat (whose id is the user's id), a group
   * (negative id), or a channel (`@username`). Default: none (required).
   */
  chatId: number | string
  /** The Telegram user the order is for: its owner, whose pre-checkout alone is approved and whose `GET /orders` lists it. Default: none (required). */
  userId: number
  /** A product of the catalog; the price comes from there. Default: none (required). */
  productId: string
  /** Units, up to the product's `maxQuantity`. Default 1. */
  quantity?: number
  /** The app's own data, handed to `onPaid` with the order. Default `{}`. */
  metadata?: Record<string, string>
  /**
   * Makes a retry safe: the same key (for this user and chat) with the same request answers with the order it
   * made, and sends no second invoice message. 1-255 printable ASCII characters. Default: none (every call sends one).
   */
  idempotencyKey?: string
}

const CHANNEL_USERNAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/

/** The request checked at the edge, before Telegram is asked for anything: a `validation_failed` PayError otherwise. */
export function parseSendInvoiceRequest(value: unknown) {
  if (!isObject(value))
    return fail(
      'The request must be an object: { "chatId": 1001, "userId": 1001, "productId": "...", "quantity"?: 1, "metadata"?: {} }.',
    )
  const { chatId, userId, idempotencyKey } = value
  if (!Number.isSafeInteger(userId) || (userId as number) < 1)
    fail('userId must be a positive integer: the Telegram user the order is for.', { field: 'userId' })
  const isChatNumber = Number.isSafeInteger(chatId) && chatId !== 0
  if (!isChatNumber && !(typeof chatId === 'string' && CHANNEL_USERNAME.test(chatId)))
    fail('chatId must be a chat id (an integer other than 0) or a channel username such as @my_channel.', {
      field: 'chatId',
    })
  // A positive chat id is a user's private chat, where only that user can pay: the order's owner.
  if (isChatNumber && (chatId as number) > 0 && chatId !== userId)
    fail(
      `chatId ${chatId} is the private chat of user ${chatId}, who could not pay an order of user ${userId}: send it to the chat of user ${userId} (chatId ${userId}).`,
      { field: 'chatId' },
    )
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string')
    fail('idempotencyKey must be a string.', { field: 'idempotencyKey' })
  return {
    chatId: chatId as number | string,
    userId: userId as number,
    body: parseCreateOrderBody(value),
    idempotencyKey: parseIdempotencyKey(idempotencyKey as string | undefined),
  }
}

export interface ChatInvoicesOptions {
  catalog: ProductCatalog
  orders: OrderService
  telegram: () => Api
  providerToken?: string
}

export function createChatInvoices({ catalog, orders, telegram, providerToken }: ChatInvoicesOptions) {
  const invoiceMessageIn =
    (chatId: number | string): MakeInvoice =>
    async (orderId, product, quantity, amount) => {
      const token = providerTokenFor(product, providerToken)
      let message: Awaited<ReturnType<Api['sendInvoice']>>
      try {
        // Not repeated on a network error, as an invoice link is: a second try could send a second message.
        message = await telegram().sendInvoice(
          chatId,
          product.title,
          product.description,
          orderId,
          product.currency ?? 'XTR',
          invoicePrices(product, quantity, amount),
          {
            ...(token ? { provider_token: token } : {}),
            ...(product.photoUrl ? { photo_url: product.photoUrl } : {}),
          },
        )
      } catch (cause) {
        throw telegramError('Telegram did not send the invoice message; try again.', cause)
      }
      return { invoiceUrl: '', detail: { chatId, messageId: message.message_id } }
    }

  /** Sends an order's invoice message to a chat; `created` is false for a repeated idempotency key. */
  return async function sendInvoice(request: unknown): Promise<{ order: Order; created: boolean }> {
    const { chatId, userId, body, idempotencyKey } = parseSendInvoiceRequest(request)
    const product = await productForSale(catalog, body.productId)
    if (kindOf(product) === 'subscription')
      throw new PayError(
        'validation_failed',
        `Product "${product.id}" is a subscription, and Telegram makes subscription invoices as links only (createInvoiceLink): sell it in the Mini App (POST /orders).`,
        { details: { field: 'productId' } },
      )
    // Kept apart from the Mini App's own keys of this user, and per chat.
    const key = idempotencyKey && `chat:${chatId}:${idempotencyKey}`
    return orders.createOrder({ id: userId }, body, key, invoiceMessageIn(chatId))
  }
}

export type SendChatInvoice = ReturnType<typeof createChatInvoices>
