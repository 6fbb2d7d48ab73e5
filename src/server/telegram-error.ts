import { PayError } from '../core/errors'

/** A Bot API call Telegram refused or never answered, as the API's `telegram_error` (502) with Telegram's words. */
export function telegramError(message: string, cause: unknown): PayError {
  return new PayError('telegram_error', message, {
    cause,
    details: { description: cause instanceof Error ? cause.message : String(cause) },
  })
}
