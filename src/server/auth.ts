import { parse, validate } from '@tma.js/init-data-node'
import { PayError } from '../core'

/** The Telegram user behind a request, as validated init data says. */
export interface TelegramUser {
  id: number
  firstName: string
  username?: string
  languageCode?: string
}

/**
 * Reads `Authorization: tma <raw init data>`, checks its HMAC against the bot token and its age,
 * and returns the user. Every failure is a 401 whose code says what to do.
 */
export function authenticateInitData(
  header: string | undefined,
  botToken: string,
  maxAgeSeconds: number,
): TelegramUser {
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
  let user: ReturnType<typeof parse>['user']
  try {
    user = parse(raw).user
  } catch {
    throw new PayError('unauthorized', 'The init data could not be parsed.')
  }
  if (!user || !Number.isSafeInteger(user.id))
    throw new PayError('unauthorized', 'The init data carries no user.')
  const result: TelegramUser = { id: user.id, firstName: user.first_name }
  if (user.username) result.username = user.username
  if (user.language_code) result.languageCode = user.language_code
  return result
}
