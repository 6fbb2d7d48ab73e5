// The Mini App's init data for mockMiniApp: given, signed by the simulator, or (with neither) unsigned.
import type { InitDataUser } from '../fixtures'
import type { SimulatorApi } from './simulator-api'

/** The Telegram user the mocked Mini App runs as. */
export interface MockMiniAppUser {
  id: number
  firstName?: string
  lastName?: string
  username?: string
  /** IETF language tag, e.g. `en`, `ru`, `zh-hans`: picks built-in labels. */
  languageCode?: string
  isPremium?: boolean
}

export const defaultUser: MockMiniAppUser = { id: 1000, firstName: 'Test', languageCode: 'en' }

// A type-only import: fixtures.ts itself needs node:crypto, which a browser page cannot load.
type RawUser = InitDataUser

/** The user inside raw init data, or undefined when it has none. */
export function userOfInitData(initData: string): MockMiniAppUser | undefined {
  const json = new URLSearchParams(initData).get('user')
  if (!json) return undefined
  const raw = JSON.parse(json) as RawUser
  const user: MockMiniAppUser = { id: raw.id }
  if (raw.first_name !== undefined) user.firstName = raw.first_name
  if (raw.last_name !== undefined) user.lastName = raw.last_name
  if (raw.username !== undefined) user.username = raw.username
  if (raw.language_code !== undefined) user.languageCode = raw.language_code
  if (raw.is_premium !== undefined) user.isPremium = raw.is_premium
  return user
}

/**
 * Init data shaped as Telegram sends it but not signed (the bot token is not in the page): enough for the
 * SDK and for UI work over a fake client, refused by a real pay server.
 */
function unsignedInitData(user: MockMiniAppUser): string {
  const raw: RawUser = { id: user.id, first_name: user.firstName ?? 'Test' }
  if (user.lastName) raw.last_name = user.lastName
  if (user.username) raw.username = user.username
  if (user.languageCode) raw.language_code = user.languageCode
  if (user.isPremium) raw.is_premium = true
  return new URLSearchParams({
    user: JSON.stringify(raw),
    chat_instance: '-1',
    chat_type: 'sender',
    auth_date: String(Math.floor(Date.now() / 1000)),
    signature: 'unsigned',
    hash: '0'.repeat(64),
  }).toString()
}

export async function obtainInitData(
  user: MockMiniAppUser,
  given: string | undefined,
  simulator: SimulatorApi | undefined,
): Promise<string> {
  if (given) return given
  if (!simulator) return unsignedInitData(user)
  return simulator.initData({
    userId: user.id,
    ...(user.firstName && { firstName: user.firstName }),
    ...(user.languageCode && { languageCode: user.languageCode }),
  })
}
