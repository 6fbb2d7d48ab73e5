// The bot the simulator plays, and the words of its made-up errors.
import type { BotInfo } from './types'

export function defaultErrorDescription(code: number, retryAfter = 1): string {
  if (code === 429) return `Too Many Requests: retry after ${retryAfter}`
  if (code === 400) return 'Bad Request: simulated failure'
  if (code === 401) return 'Unauthorized'
  if (code === 403) return 'Forbidden: bot was blocked by the user'
  if (code === 404) return 'Not Found'
  if (code === 502) return 'Bad Gateway'
  return 'Internal Server Error'
}

export function makeBotInfo(botToken: string, username: string): BotInfo {
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
