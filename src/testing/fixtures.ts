// Signed Mini App init data, built the way a real Telegram client sends it, for tests and the demo.
import { createHmac, randomBytes } from 'node:crypto'

/** The user object inside init data (WebAppUser). */
export interface InitDataUser {
  id: number
  first_name?: string
  last_name?: string
  username?: string
  language_code?: string
  is_premium?: boolean
  allows_write_to_pm?: boolean
  photo_url?: string
}

export interface SignInitDataOptions {
  botToken: string
  user: InitDataUser
  /** Default: now. Servers reject init data older than their expiry, so tests of expiry pass an old date. */
  authDate?: Date
  queryId?: string
  startParam?: string
  /** Default: a random id, as Telegram gives each chat the app was opened from. */
  chatInstance?: string
  /** Default 'sender' (opened from the bot's own chat). */
  chatType?: 'sender' | 'private' | 'group' | 'supergroup' | 'channel'
}

/** A user as Telegram describes an ordinary account: first name 'Test', English. */
export function testUser(id: number, overrides: Partial<InitDataUser> = {}): InitDataUser {
  return { id, first_name: 'Test', language_code: 'en', allows_write_to_pm: true, ...overrides }
}

/**
 * Raw init data (`window.Telegram.WebApp.initData`) signed with `botToken`: `hash` is the hex HMAC-SHA256 of the
 * data-check-string under HMAC-SHA256('WebAppData', botToken). `signature` is there because real clients send it
 * (and @tma.js/init-data-node's parse requires it); it is random bytes, since the real one is an Ed25519
 * signature under Telegram's own key, so third-party validation (validate3rd) fails on it.
 */
export function signInitData(options: SignInitDataOptions): string {
  const authDate = options.authDate ?? new Date()
  // Key order as Telegram clients send it; the hash does not depend on it (the check string is sorted).
  const fields: Array<[string, string]> = []
  if (options.queryId !== undefined) fields.push(['query_id', options.queryId])
  // Telegram's JSON escapes '/', so photo_url arrives as https:\/\/...; keep that quirk for parsers to meet.
  fields.push(['user', JSON.stringify(options.user).replaceAll('/', '\\/')])
  fields.push(['chat_instance', options.chatInstance ?? randomChatInstance()])
  fields.push(['chat_type', options.chatType ?? 'sender'])
  if (options.startParam !== undefined) fields.push(['start_param', options.startParam])
  fields.push(['auth_date', String(Math.floor(authDate.getTime() / 1000))])
  fields.push(['signature', randomBytes(64).toString('base64url')])

  const dataCheckString = [...fields]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
  const secretKey = createHmac('sha256', 'WebAppData').update(options.botToken).digest()
  const hash = createHmac('sha256', secretKey).update(dataCheckString).digest('hex')
  fields.push(['hash', hash])

  return fields.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')
}

function randomChatInstance(): string {
  // Telegram's chat_instance is a signed 64-bit integer in decimal.
  return BigInt.asIntN(64, randomBytes(8).readBigUInt64BE()).toString()
}
