// Chats as Telegram keeps them for a bot: private chats (a private chat's id is its user's id), the messages in
// them both ways (a user's commands, the bot's answers and invoices, payment service messages), and the
// bot_command entities Telegram marks in what a user writes.
import { parseFormattedText } from '../spec/formatting'
import { badRequest, type SimulatorContext, unixNow } from './context'
import { invoiceTerms } from './invoice-terms'
import type {
  ChatInvoiceTarget,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PrivateChat,
  SimulatedChatInvoice,
  TelegramUser,
  UserMessageOptions,
} from './types'

type Params = Record<string, unknown>

/** The user with this id as the simulator knows them, updated with what the caller says of them. */
export function userOf(
  context: SimulatorContext,
  id: number,
  details: Omit<UserMessageOptions, 'userId' | 'text'> = {},
): TelegramUser {
  const known = context.users.get(id)
  const user: TelegramUser = {
    id,
    is_bot: false,
    first_name: details.firstName ?? known?.first_name ?? 'Test',
  }
  const lastName = details.lastName ?? known?.last_name
  if (lastName) user.last_name = lastName
  const username = details.username ?? known?.username
  if (username) user.username = username
  user.language_code = details.languageCode ?? known?.language_code ?? 'en'
  context.users.set(id, user)
  return user
}

export function privateChat(context: SimulatorContext, chatId: number): PrivateChat {
  const user = context.users.get(chatId)
  const chat: PrivateChat = { id: chatId, type: 'private' }
  if (user) chat.first_name = user.first_name
  if (user?.last_name) chat.last_name = user.last_name
  if (user?.username) chat.username = user.username
  return chat
}

function botSender({ botInfo }: SimulatorContext): TelegramUser {
  return { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username }
}

// Telegram's rule (tdlib's match_bot_commands): '/' not after a word character, '/', '<' or '>'; 1-64 of
// [A-Za-z0-9_]; an optional @botusername; then no word character, '/', '<' or '>'.
const botCommand = /(?<![\p{L}\p{N}_/<>])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\p{L}\p{N}_/<>])/gu

/** The bot_command entities of a text, offsets in UTF-16 code units. */
export function botCommandEntities(text: string): MessageEntity[] {
  return [...text.matchAll(botCommand)].map((match) => ({
    type: 'bot_command',
    offset: match.index,
    length: match[0].length,
  }))
}

/** The user writes to the bot in their private chat: a `message` update, as Telegram sends it. */
export async function sendUserMessage(
  context: SimulatorContext,
  options: UserMessageOptions,
): Promise<Message> {
  const { userId, text } = options
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new Error('userId must be a positive integer')
  // What a Telegram client lets a user send.
  if (text.trim() === '' || [...text].length > 4096) throw new Error('text must be 1-4096 characters')
  const user = userOf(context, userId, options)
  const message: Message = {
    message_id: context.nextMessageId++,
    from: user,
    chat: privateChat(context, userId),
    date: unixNow(),
    text,
  }
  const entities = botCommandEntities(text)
  if (entities.length > 0) message.entities = entities
  context.messages.push(message)
  await context.delivery.enqueue({ message })
  return message
}

/** The chat a Bot API call names. Only private chats exist here; '@username' names none. */
function chatOf(context: SimulatorContext, chatId: unknown): PrivateChat {
  // Form-encoded calls send the id as a string, which Telegram reads as the number.
  const id = typeof chatId === 'string' && /^-?\d+$/.test(chatId) ? Number(chatId) : chatId
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw badRequest('chat not found')
  return privateChat(context, id)
}

/** A reply_markup's Web App URLs must be HTTPS (http:// only in Telegram's test environment). Returns the
 * markup a message shows: only inline keyboards are part of a Message. */
function messageMarkup(context: SimulatorContext, markup: unknown): InlineKeyboardMarkup | undefined {
  if (typeof markup !== 'object' || markup === null) return undefined
  const { inline_keyboard: inline, keyboard } = markup as {
    inline_keyboard?: InlineKeyboardButton[][]
    keyboard?: Array<Array<{ web_app?: { url: string } }>>
  }
  const kind = inline ? 'inline keyboard button' : 'keyboard button'
  for (const button of (inline ?? keyboard ?? []).flat()) {
    const url = button.web_app?.url
    if (url === undefined) continue
    const scheme = /^(https?):\/\/[^/]/i.exec(url)?.[1]?.toLowerCase()
    if (scheme === 'https' || (scheme === 'http' && context.allowHttpWebApps)) continue
    throw badRequest(`${kind} Web App URL '${url}' is invalid: Only HTTPS links are allowed`)
  }
  return inline ? { inline_keyboard: inline } : undefined
}

function botMessage(context: SimulatorContext, chat: PrivateChat, markup: InlineKeyboardMarkup | undefined) {
  const message: Message = {
    message_id: context.nextMessageId++,
    from: botSender(context),
    chat,
    date: unixNow(),
  }
  if (markup) message.reply_markup = markup
  return message
}

/** Bot API sendMessage: the Message as Telegram returns it, its text and entities after parsing. */
export function sendBotMessage(context: SimulatorContext, params: Params): Message {
  const chat = chatOf(context, params.chat_id)
  const parsed = parseFormattedText(String(params.text), params.parse_mode)
  if ('error' in parsed) throw badRequest(parsed.error)
  if (parsed.text.trim() === '') throw badRequest('message text is empty')
  if ([...parsed.text].length > 4096) throw badRequest('message is too long')
  const message = botMessage(context, chat, messageMarkup(context, params.reply_markup))
  message.text = parsed.text
  const entities = (params.entities as MessageEntity[] | undefined) ?? parsed.entities
  if (entities.length > 0) message.entities = entities
  context.messages.push(message)
  return message
}

/** Bot API sendInvoice: an invoice message, recorded so the user can pay it (payChatInvoice). */
export function sendInvoiceMessage(context: SimulatorContext, params: Params): Message {
  const chat = chatOf(context, params.chat_id)
  const terms = invoiceTerms(context, params)
  const startParameter = typeof params.start_parameter === 'string' ? params.start_parameter : ''
  const message = botMessage(context, chat, messageMarkup(context, params.reply_markup))
  message.invoice = {
    title: terms.title,
    description: terms.description,
    start_parameter: startParameter,
    currency: terms.currency,
    total_amount: terms.totalAmount,
  }
  const invoice: SimulatedChatInvoice = {
    ...terms,
    chatId: chat.id,
    messageId: message.message_id,
    startParameter,
    paidBy: [],
  }
  context.chatInvoices.set(message.message_id, invoice)
  context.messages.push(message)
  return message
}

export function findChatInvoice(
  context: SimulatorContext,
  target: ChatInvoiceTarget,
): SimulatedChatInvoice | undefined {
  if (typeof target === 'number') return context.chatInvoices.get(target)
  if ('message_id' in target) return context.chatInvoices.get(target.message_id)
  return [...context.chatInvoices.values()].findLast((invoice) => invoice.chatId === target.chatId)
}
