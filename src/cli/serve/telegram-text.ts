/**
 * A Bot API failure as text for the terminal. grammY's HttpError keeps the network failure itself in `error`;
 * its URL holds the token, which stays out of logs.
 */
export function telegramErrorText(error: unknown, botToken: string): string {
  const cause = (error as { error?: unknown }).error
  return `${(error as Error).message}${cause ? ` (${String(cause)})` : ''}`.replaceAll(
    botToken,
    '<bot token>',
  )
}
