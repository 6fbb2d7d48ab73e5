// `tma-pay doctor`: what `tma-pay serve` with the same flags needs, checked one line at a time.
import { Api } from 'grammy'
import type { Product } from '../../core'
import { UsageError } from '../errors'
import { flagHelp } from '../flags'
import { parseServeFlags } from './config'
import {
  type CheckResult,
  checkAdminKey,
  checkBot,
  checkNotify,
  checkProviderToken,
  checkStore,
  checkWebhook,
  resultLine,
} from './doctor-checks'
import { serveFlags } from './flags'
import { loadProductsFile } from './products-file'

export const doctorHelp = `Usage: tma-pay doctor --products FILE.json --bot-token TOKEN [the flags of tma-pay serve]

Checks what \`tma-pay serve\` with the same flags needs, one line each, with what to do about a problem:
the bot token (getMe), the webhook (getWebhookInfo: its URL against --public-url, allowed_updates with
message and pre_checkout_query, Telegram's last delivery error, updates waiting), the store (reachable,
migrated), the catalog, a provider token for products not in XTR, the admin key, the notify URL (a signed
test event of type "test"). Nothing is changed. Run it beside a running server, or before starting one.

Flags: those of \`tma-pay serve --help\`:
${flagHelp(serveFlags)}

Exit codes: 0 when all is well, 1 when something is wrong, 2 for bad flags.`

/** `tma-pay doctor`: prints one line per check; resolves to the exit code. */
export async function runDoctor(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
): Promise<number> {
  const flags = parseServeFlags('doctor', argv, env)
  if (!flags) {
    out(doctorHelp)
    return 0
  }
  if (!flags.botToken)
    throw new UsageError(
      "doctor: --bot-token (TMA_PAY_BOT_TOKEN) is required: the doctor checks a real bot's setup (on the simulator tma-pay serve sets everything up itself).",
    )
  const api = new Api(flags.botToken, { ...(flags.apiRoot ? { apiRoot: flags.apiRoot } : {}) })
  const results: CheckResult[] = []
  const report = (result: CheckResult) => {
    results.push(result)
    out(resultLine(result))
  }

  const bot = await checkBot(api, flags)
  report(bot)
  for (const result of await checkWebhook(api, flags, bot.ok)) report(result)
  report(await checkStore(flags))
  let products: Product[] = []
  try {
    products = loadProductsFile(flags.productsFile)
    report({
      ok: true,
      name: 'catalog',
      text: `${products.length} products (${products.map((p) => p.id).join(', ')})`,
    })
  } catch (error) {
    // The file's problems, one line: each still says what is wrong where.
    const text = (error as Error).message.replace(/:?\n- /g, (match) => (match.startsWith(':') ? ': ' : '; '))
    report({ ok: false, name: 'catalog', text, fix: 'correct the products file and run the doctor again' })
  }
  report(await checkProviderToken(api, flags, products, bot.ok))
  report(checkAdminKey(flags.adminKey))
  report(await checkNotify(flags))

  const failed = results.filter((result) => !result.ok).length
  out(failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`)
  return failed === 0 ? 0 : 1
}
