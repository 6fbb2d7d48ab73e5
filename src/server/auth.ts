import { parse, validate } from '@tma.js/init-data-node'
import { PayError } from '../core/errors'

/**
 * The user behind a request, as validated init data says, in init data's camelCase (`@tma.js/init-data-node`).
 * Not `TelegramUser`: that name is the Bot API's `User` (snake_case), as the simulator of `tma-pay/testing` sends it.
 */
export interface InitDataUser {
  id: number
  firstName: string
  username?: string
  languageCode?: string
}

/**
 * How far ahead of this server's clock an `auth_date` may be, in seconds. Telegram's servers set it, so
 * data from the future means this clock is behind: by a little, that is ordinary drift; by more, the
 * clock is off (or someone signs init data with the bot token), and such data would pass the age check
 * long after it should have expired.
 */
export const MAX_INIT_DATA_CLOCK_SKEW_SECONDS = 300

/**
 * Reads `Authorization: tma <raw init data>`, checks its HMAC against the bot token, its age, and that
 * it is not dated ahead of this server's clock (by more than `MAX_INIT_DATA_CLOCK_SKEW_SECONDS`), and
 * returns the user. Every failure is a 401 whose code says what to do.
 */
export function authenticateInitData(
  header: string | undefined,
  botToken: string,
  maxAgeSeconds: number,
): InitDataUser {
  if (!header) {
    throw new PayError('unauthorized', 'Send the Mini App init data: Authorization: tma <initDataRaw>.')
  }
  const match = /^tma\s+(.+)$/i.exec(header.trim())
  if (!match) throw new PayError('unauthorized', 'The Authorization header must be "tma <initDataRaw>".')
  const raw = match[1]!
  try {
    validate(raw, botToken, { expiresIn: maxAgeSeconds })
  } catch (error) {
    // By name: the library's error classes are not the same objects across its ESM and CJS builds.
    if ((error as Error | undefined)?.name === 'ExpiredError') {
      throw new PayError(
        'init_data_expired',
        'The init data has expired: reopen the Mini App to get fresh init data.',
      )
    }
    throw new PayError('unauthorized', 'The init data is not signed by this bot.')
  }
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(raw)
  } catch {
    throw new PayError('unauthorized', 'The init data could not be parsed.')
  }
  const aheadSeconds = Math.round((parsed.auth_date.getTime() - Date.now()) / 1000)
  if (!(aheadSeconds <= MAX_INIT_DATA_CLOCK_SKEW_SECONDS)) {
    throw new PayError(
      'unauthorized',
      `The init data's auth_date is ${aheadSeconds} s in the future: check this server's clock (NTP), then reopen the Mini App.`,
    )
  }
  const user = parsed.user
  if (!user || !Number.isSafeInteger(user.id))
    throw new PayError('unauthorized', 'The init data carries no user.')
  const result: InitDataUser = { id: user.id, firstName: user.first_name }
  if (user.username) result.username = user.username
  if (user.language_code) result.languageCode = user.language_code
  return result
}
