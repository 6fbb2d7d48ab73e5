import { UsageError } from '../errors'
import { type FlagSpec, flagHelp, flagOrEnv, parseFlags, parseUserId } from '../flags'
import { simFlag, simRequest, simUrlFrom } from './client'

const botTokenFlag = {
  name: 'bot-token',
  value: 'TOKEN',
  env: 'TMA_PAY_BOT_TOKEN',
  help: 'sign locally with this bot token instead',
}

export const initDataFlags: readonly FlagSpec[] = [
  { name: 'user-id', value: 'ID', help: 'the Telegram user id (required)' },
  { name: 'first-name', value: 'NAME', help: "the user's first name (default Test)" },
  { name: 'language', value: 'CODE', help: "the user's language_code (default en)" },
  simFlag,
  botTokenFlag,
]

export const initDataHelp = `Usage: tma-pay init-data --user-id ID (--sim URL | --bot-token TOKEN) [--first-name NAME] [--language CODE]

Prints signed Mini App init data for a test user, for \`Authorization: tma <init data>\`:
from the simulator that \`tma-pay serve\` started (--sim), or signed here with a bot token.

${flagHelp(initDataFlags)}`

/** `tma-pay init-data`: prints the raw init data, alone on stdout, so `INIT=$(tma-pay init-data ...)` works. */
export async function runInitData(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
): Promise<void> {
  const { values } = parseFlags('init-data', argv, initDataFlags)
  if (values.help) return out(initDataHelp)
  const userId = parseUserId(values['user-id'])
  const firstName = values['first-name']
  const language = values.language
  if (language !== undefined && !/^[a-z]{2,3}(-[A-Za-z0-9]+)?$/.test(language)) {
    throw new UsageError(
      `--language must be a language code such as en or pt-br, not ${JSON.stringify(language)}.`,
    )
  }
  if (values.sim !== undefined && values['bot-token'] !== undefined)
    throw new UsageError('init-data: give --sim or --bot-token, not both.')

  // An explicit flag wins over the environment; of the environment, the bot token (a real setup) wins.
  const botToken = values.sim === undefined ? flagOrEnv(values, botTokenFlag, env) : undefined
  if (botToken) {
    const { signInitData, testUser } = await import('../../testing/fixtures')
    const user = testUser(userId, {
      ...(firstName ? { first_name: firstName } : {}),
      ...(language ? { language_code: language } : {}),
    })
    return out(signInitData({ botToken, user }))
  }
  const simUrl = simUrlFrom(values, env)
  if (!simUrl) {
    throw new UsageError(
      'init-data: give --sim URL (the simulator `tma-pay serve` printed) or --bot-token TOKEN to sign locally.',
    )
  }
  const { initData } = await simRequest<{ initData: string }>(simUrl, 'POST', '/sim/init-data', {
    userId,
    ...(firstName ? { firstName } : {}),
    ...(language ? { languageCode: language } : {}),
  })
  out(initData)
}
