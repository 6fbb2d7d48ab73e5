// The `tma-pay` executable (bin/tma-pay.mjs loads this, built as dist/cli.js): runs the command in argv and exits.
import { runCli } from './run'

const code = await runCli(process.argv.slice(2))
process.exitCode = code
// Whatever still holds the event loop after an orderly shutdown (a stuck socket) must not keep the process up.
setTimeout(() => process.exit(), 5000).unref()
