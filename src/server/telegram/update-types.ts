// Which updates to ask Telegram for (setWebhook's and getUpdates' allowed_updates).
import type { Update } from 'grammy/types'

/** An update type, as allowed_updates names it: what grammY's setWebhook and bot.start() take. */
export type UpdateType = Exclude<keyof Update, 'update_id'>

/** What tma-pay itself needs: pre-checkout queries, and messages (successful_payment and refunded_payment ride in them). */
export const PAY_UPDATE_TYPES: readonly UpdateType[] = ['message', 'pre_checkout_query']

/** Every update type of the Bot API, in the order of its Update object. */
export const UPDATE_TYPES: readonly UpdateType[] = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
  'guest_message',
  'message_reaction',
  'message_reaction_count',
  'inline_query',
  'chosen_inline_result',
  'callback_query',
  'shipping_query',
  'pre_checkout_query',
  'purchased_paid_media',
  'poll',
  'poll_answer',
  'my_chat_member',
  'chat_member',
  'chat_join_request',
  'chat_boost',
  'removed_chat_boost',
  'managed_bot',
]

const notSentByDefault = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])

/** What Telegram sends when allowed_updates is empty: every type but chat_member and the reactions. */
export const DEFAULT_UPDATE_TYPES: readonly UpdateType[] = UPDATE_TYPES.filter(
  (type) => !notSentByDefault.has(type),
)

/**
 * allowed_updates for a bot whose updates tma-pay takes: tma-pay's own types, plus what the bot's other
 * handlers need (`others`: the app behind a forward URL, or the app's own handlers beside botMiddleware()).
 * Without `others`, tma-pay's own only. In Update order.
 */
export function allowedUpdates(others: readonly string[] = []): UpdateType[] {
  const wanted = new Set<string>([...PAY_UPDATE_TYPES, ...others])
  return UPDATE_TYPES.filter((type) => wanted.has(type))
}
