// `tma-pay serve --bot-module FILE`: the app's own grammY bot, made in serve's process by the module's default
// export. Every way it can be wrong is said before serve listens, naming the file and what it should export.
import { type AppBot, isAppBot, type ServeBotOptions } from '../../server/telegram/app-bot'
import { CliError, UsageError } from '../errors'

const WHAT_TO_EXPORT =
  'export default a function that takes { pay, botToken, apiRoot, botInfo } and returns your grammY Bot, e.g. `export default ({ pay, botToken, apiRoot, botInfo }) => { const bot = new Bot(botToken, { botInfo, client: { apiRoot } }); bot.use(pay.botMiddleware()); /* your handlers */ return bot }`'

/** Makes the app's bot with what serve knows once its pay server exists. */
export type MakeAppBot = (options: ServeBotOptions) => Promise<AppBot>

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]

const describeValue = (value: unknown) =>
  value === null
    ? 'null'
    : typeof value === 'object'
      ? `an object (${value.constructor?.name ?? 'no class'})`
      : typeof value

/** Imports the module and checks its default export is a function (a UsageError, exit 2, otherwise). */
export async function importBotModule(module: { url: string; name: string }): Promise<MakeAppBot> {
  let exports: { default?: unknown }
  try {
    exports = await import(module.url)
  } catch (error) {
    throw new UsageError(`--bot-module ${module.name} could not be imported: ${firstLine(error)}`)
  }
  const create = exports.default
  if (typeof create !== 'function')
    throw new UsageError(
      `--bot-module ${module.name} has no default export that is a function (it is ${describeValue(create)}): ${WHAT_TO_EXPORT}.`,
    )
  return async (options) => {
    let bot: unknown
    try {
      bot = await create(options)
    } catch (error) {
      throw new CliError(`--bot-module ${module.name}: its default export threw: ${firstLine(error)}`)
    }
    if (!isAppBot(bot))
      throw new UsageError(
        `--bot-module ${module.name}: its default export returned ${describeValue(bot)}, not a grammY Bot: ${WHAT_TO_EXPORT}.`,
      )
    // Never the tokens themselves: they end up in terminals and CI logs.
    if (bot.token !== options.botToken)
      throw new UsageError(
        `--bot-module ${module.name}: its Bot has another token than the one serve runs: make it with the botToken it is given (new Bot(botToken, ...)).`,
      )
    return bot
  }
}
