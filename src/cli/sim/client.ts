import { redactUrl } from '../../server/redact'
import { CliError, UsageError } from '../errors'
import { flagOrEnv, parseHttpUrl } from '../flags'

export const simFlag = {
  name: 'sim',
  value: 'URL',
  env: 'TMA_PAY_SIM_URL',
  help: 'the Telegram simulator that `tma-pay serve` started (it prints the URL)',
} as const

/** The simulator's base URL from --sim or TMA_PAY_SIM_URL; `undefined` if neither is set. */
export function simUrlFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const url = flagOrEnv(values, simFlag, env)
  return url === undefined ? undefined : parseHttpUrl('sim', url).replace(/\/+$/, '')
}

/** Calls the simulator's control API (`/sim/...`); its `{ error: { message } }` answers become CliErrors. */
export async function simRequest<T>(
  simUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response
  try {
    response = await fetch(`${simUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
  } catch (error) {
    const reason = String((error as { cause?: unknown }).cause ?? error)
    throw new CliError(
      `Cannot reach the simulator at ${redactUrl(simUrl)} (${reason}). Is \`tma-pay serve\` running without a bot token? It prints the simulator's URL.`,
    )
  }
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UsageError(
      `${redactUrl(simUrl)} is not the tma-pay simulator: ${method} ${path} answered ${response.status} ${text.slice(0, 100)}`,
    )
  }
  if (!response.ok) {
    const message = (json as { error?: { message?: string } }).error?.message ?? text
    throw new CliError(`The simulator refused ${method} ${path}: ${message}`)
  }
  return json as T
}
