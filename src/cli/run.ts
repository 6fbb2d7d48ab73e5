import { CliError, UsageError } from './errors'
import { mainHelp, serveHelp } from './help'
import { packageVersion } from './self'
import { resolveServeConfig } from './serve/config'
import { runDoctor } from './serve/doctor'
import { startServe } from './serve/start'
import { runInitData } from './sim/init-data'
import { runPay } from './sim/pay'

export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
}

const processIo: CliIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  env: process.env,
}

/** Runs one tma-pay command; resolves to the exit code (for `serve`, once it has shut down on a signal). */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        io.err(mainHelp(packageVersion()))
        return 2
      case '-h':
      case '--help':
      case 'help':
        io.out(mainHelp(packageVersion()))
        return 0
      case '-v':
      case '--version':
        io.out(packageVersion())
        return 0
      case 'serve':
        return await serve(rest, io)
      case 'doctor':
        return await runDoctor(rest, io.env, io.out)
      case 'init-data':
        await runInitData(rest, io.env, io.out)
        return 0
      case 'pay':
        await runPay(rest, io.env, io.out)
        return 0
      default:
        throw new UsageError(
          `Unknown command ${JSON.stringify(command)}. Run \`tma-pay --help\` for the commands.`,
        )
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`tma-pay: ${error.message}`)
      return 2
    }
    io.err(
      `tma-pay: ${error instanceof CliError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    return 1
  }
}

async function serve(argv: string[], io: CliIo): Promise<number> {
  const config = resolveServeConfig(argv, io.env)
  if (!config) {
    io.out(serveHelp)
    return 0
  }
  // Listening before the start, so a Ctrl-C while the store opens still closes it properly.
  let stopping = false
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // A second Ctrl-C while closing means "now".
      if (stopping) process.exit(130)
      stopping = true
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  const running = await startServe(config, io.out)
  const ended = await Promise.race([stopped, running.failure.then((message) => ({ message }))])
  if (typeof ended === 'object') {
    if (running.jsonLog) running.jsonLog('error', ended.message)
    else io.err(`tma-pay: ${ended.message}`)
    await running.close()
    return 1
  }
  if (running.jsonLog) running.jsonLog('info', `${ended}, shutting down`)
  else io.out(`tma-pay: ${ended}, shutting down`)
  await running.close()
  return 0
}
