#!/usr/bin/env node
// `npm start`: the demo shop in one command. Starts `tma-pay serve` on the embedded store (with the Telegram
// simulator beside it, since no bot token is given), running the shop's own bot in its process
// (--bot-module examples/shop/bot.mjs: /start, /buy), then the shop's Vite dev server, which proxies /api/pay
// to serve; prints the one URL to open. Ctrl-C (or SIGTERM) stops all of it.
//
//   PORT=8080 npm start              # the shop's port (default 5173; 0 picks a free one)
//   TMA_PAY_SHOP_STORE=pglite:/tmp/x  # where orders live (default pglite:./.tma-pay)
//   TMA_PAY_SHOP_NO_WATCH=1          # no file watching and no hot reload (the e2e tests: an edit of
//                                    # src/ mid-run would reload the page under a test)
//   TMA_PAY_API_PORT=3000            # the port of `tma-pay serve` (default 0: a free one)
//   TMA_PAY_SHOP_HOST=0.0.0.0        # the shop's listen address (default 127.0.0.1)
//   TMA_PAY_ADMIN_KEY=...            # the admin key of the shop's admin page (#/admin); on the simulator a
//                                    # random one per run when unset, handed to the page (no typing); with a
//                                    # real bot only this one (or --admin-key), which the page asks for
//
// With a real bot (see examples/shop/README.md): serve reads these from the environment, or take the flags.
//   TMA_PAY_BOT_TOKEN=123:AA...  TMA_PAY_WEBHOOK_SECRET=...  TMA_PAY_PUBLIC_URL=https://shop.example.com \
//     npm start                        # or: npm start -- --public-url https://shop.example.com
//   TMA_PAY_API_ROOT=...              # another Bot API server (default https://api.telegram.org)
// The public URL is the shop's (this Vite server's) public HTTPS origin: the Mini App's URL in @BotFather,
// and the webhook's origin, since Vite passes /api/pay (and so /api/pay/telegram/webhook) to serve. No
// simulator starts, and the page runs with Telegram's own SDK instead of mockMiniApp.
//
// Any extra arguments go to `tma-pay serve` (e.g. `npm start -- --products my-products.json`). With your own
// --forward-url or --bot-module (or TMA_PAY_FORWARD_URL, TMA_PAY_BOT_MODULE) the shop's bot does not run: yours does.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer as createNetServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const shopHost = process.env.TMA_PAY_SHOP_HOST || '127.0.0.1'
const extraArgs = process.argv.slice(2)

/** A flag's value among the extra arguments (`--name value` or `--name=value`), else the environment's. */
function flagOrEnv(name, envName) {
  for (let index = 0; index < extraArgs.length; index++) {
    const arg = extraArgs[index]
    if (arg === `--${name}`) return extraArgs[index + 1]
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3)
  }
  return process.env[envName] || undefined
}

const realTelegram = flagOrEnv('bot-token', 'TMA_PAY_BOT_TOKEN') !== undefined
const publicUrl = flagOrEnv('public-url', 'TMA_PAY_PUBLIC_URL')?.replace(/\/+$/, '')
// The shop's Vite config reads it too: the public host is one Vite must accept.
if (publicUrl) process.env.TMA_PAY_PUBLIC_URL = publicUrl
const store = process.env.TMA_PAY_SHOP_STORE ?? 'pglite:./.tma-pay'
// The admin routes (the shop's #/admin page). On the simulator a random key per run unless one is given: the
// Vite server hands it to the page (/shop-config.json), so the demo's admin page needs no typing. With a real
// bot the key is only what the owner gave (flag or env), and the page asks for it: it never reaches the page
// by itself, nor any bundle.
const givenAdminKey = flagOrEnv('admin-key', 'TMA_PAY_ADMIN_KEY')
const adminKey = givenAdminKey ?? (realTelegram ? undefined : randomBytes(32).toString('hex'))
// The shop's port is settled before serve starts, since the shop's bot in serve's process needs the shop's URL
// for its /start button (TMA_PAY_SHOP_URL). PORT=0: a free port, held until Vite listens on it.
const portHold = await holdPort(Number(process.env.PORT ?? 5173))
const shopPort = portHold.port
const localShopUrl = `http://127.0.0.1:${shopPort}/`
// Telegram opens Mini Apps over HTTPS only: with a public URL, that is the shop's.
const shopUrl = publicUrl ? `${publicUrl}/` : localShopUrl
// The shop's own bot (examples/shop/bot.mjs) runs inside serve, unless the user brings a bot of their own.
const shopBot =
  flagOrEnv('forward-url', 'TMA_PAY_FORWARD_URL') === undefined &&
  flagOrEnv('bot-module', 'TMA_PAY_BOT_MODULE') === undefined
const serveArgs = [
  'bin/tma-pay.mjs',
  'serve',
  '--products',
  'examples/products.json',
  '--store',
  store,
  '--port',
  process.env.TMA_PAY_API_PORT ?? '0',
  // The simulator's port; with a bot token no simulator runs and the flag is unused.
  '--sim-port',
  '0',
  // A key among the extra arguments is passed with them; one from the environment serve reads itself.
  ...(adminKey && givenAdminKey === undefined ? ['--admin-key', adminKey] : []),
  ...(shopBot ? ['--bot-module', 'examples/shop/bot.mjs'] : []),
  ...extraArgs,
]

let vite
let stopping = false
const log = (line) => process.stderr.write(`start: ${line}\n`)

// PORT is ours (the shop's); tma-pay serve would read it as its own port, so it is taken out.
const { PORT: _shopPort, ...serveEnv } = process.env
const server = spawn(process.execPath, serveArgs, {
  cwd: root,
  // The shop runs from src/ (its Vite aliases), so the server does too: a stale dist/ would not match it.
  env: { TMA_PAY_CLI_FROM_SOURCE: '1', ...serveEnv, TMA_PAY_SHOP_URL: shopUrl },
  stdio: ['ignore', 'pipe', 'inherit'],
})

async function stop(code) {
  if (stopping) return
  stopping = true
  await vite?.close().catch(() => {})
  await portHold.release()
  if (server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    // PGlite flushes on a clean stop; a server that hangs is killed after a while.
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  process.exit(code)
}

process.on('SIGINT', () => void stop(130))
process.on('SIGTERM', () => void stop(143))
server.on('exit', (code, signal) => {
  if (stopping) return
  log(`tma-pay serve stopped (${signal ?? `exit ${code}`})`)
  void stop(code || 1)
})

/** Reads the banner until both URLs are there; the rest of serve's output is passed through as it comes. */
function readUrls() {
  return new Promise((resolve, reject) => {
    let text = ''
    let found = false
    server.stdout.setEncoding('utf8')
    server.stdout.on('data', (chunk) => {
      text += chunk
      if (found) return
      const api = /tma-pay listening on (http:\/\/\S+)/.exec(text)
      const sim = /Telegram simulator at (http:\/\/\S+?),/.exec(text)
      if (api && sim) {
        found = true
        resolve({ apiUrl: api[1], simUrl: sim[1] })
      } else if (api && realTelegram) {
        // With a bot token there is no simulator line.
        found = true
        resolve({ apiUrl: api[1], simUrl: undefined })
      }
    })
    server.on('exit', () => reject(new Error('tma-pay serve exited before it printed its URLs')))
  })
}

try {
  const { apiUrl, simUrl } = await readUrls()
  process.env.TMA_PAY_API_URL = apiUrl
  if (simUrl) process.env.TMA_PAY_SIM_URL = simUrl
  else delete process.env.TMA_PAY_SIM_URL
  // Tells the page (through /shop-config.json) to run with Telegram's SDK, not mockMiniApp.
  process.env.TMA_PAY_SHOP_REAL_TELEGRAM = realTelegram ? '1' : '0'
  // The demo's admin page reads the key from the Vite server, on the simulator only (vite.config.ts).
  if (adminKey && !realTelegram) process.env.TMA_PAY_SHOP_ADMIN_KEY = adminKey
  else delete process.env.TMA_PAY_SHOP_ADMIN_KEY
  const { createServer } = await import('vite')
  vite = await createServer({
    configFile: fileURLToPath(new URL('../examples/shop/vite.config.ts', import.meta.url)),
    server: {
      port: shopPort,
      strictPort: true,
      ...(process.env.TMA_PAY_SHOP_NO_WATCH === '1' ? { watch: null, hmr: false } : {}),
    },
  })
  await portHold.release()
  await vite.listen()
  log(`pay server ${apiUrl}, ${simUrl ? `Telegram simulator ${simUrl}` : 'real Telegram (no simulator)'}`)
  console.log(realTelegram ? realTelegramSteps(localShopUrl, shopPort) : simulatorSteps(localShopUrl, simUrl))
} catch (error) {
  log(error instanceof Error ? error.message : String(error))
  await stop(1)
}

/** `port`, or with 0 a free one, on the shop's host; held by a listener (so no one else takes it) until release(). */
async function holdPort(port) {
  if (port !== 0) return { port, release: async () => {} }
  const holder = createNetServer()
  await new Promise((resolve, reject) => {
    holder.once('error', reject)
    holder.listen(0, shopHost, resolve)
  })
  let released
  return {
    port: holder.address().port,
    release: () => (released ??= new Promise((resolve) => holder.close(() => resolve()))),
  }
}

/** What to try on the simulator: the page, the owner's page, and the shop's bot as user 1001 (the page's user). */
function simulatorSteps(url, simUrl) {
  const post = (path, body) =>
    `curl -s -X POST ${simUrl}${path} -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`
  return [
    '',
    `  tma-pay demo shop: ${url}`,
    '',
    "  Open it, buy something, and pay in the invoice sheet. The shop owner's page (orders of every user,",
    `  refunds): ${url}#/admin.`,
    ...(shopBot
      ? [
          "  The shop's bot (examples/shop/bot.mjs, inside tma-pay serve) answers /start and /buy. Write to it as",
          "  user 1001, the page's user, and pay the chat invoice; it shows in the order history like the others:",
          `    ${post('/sim/messages', { userId: 1001, text: '/buy' })}`,
          `    ${post('/sim/chat-invoices/pay', { chatId: 1001 })}`,
        ]
      : []),
    '  Stop with Ctrl-C.',
    '',
  ].join('\n')
}

/** What to do next with a real bot: the shop has to be reachable over HTTPS and be the bot's Mini App. */
function realTelegramSteps(shopUrl, port) {
  const lines = [
    '',
    `  tma-pay demo shop: ${shopUrl}`,
    '',
    '  Real Telegram: a bot token was given, so no simulator runs and payments are real Stars.',
    '  In a plain browser tab the shop only says to open it in Telegram.',
  ]
  if (publicUrl) {
    lines.push(
      '  Next:',
      `  1. Make ${publicUrl} reach this machine's port ${port} (a reverse proxy, or a tunnel such as`,
      `     \`cloudflared tunnel --url http://127.0.0.1:${port}\`); Telegram needs HTTPS.`,
      `  2. In @BotFather: /mybots → your bot → Bot Settings → Configure Mini App (or Menu Button) → URL:`,
      `     ${publicUrl}/`,
      `  3. Telegram posts payments to ${publicUrl}/api/pay/telegram/webhook (set at start), through this`,
      '     server to tma-pay serve.',
      ...(shopBot
        ? [
            "  4. Write /start to the bot: the shop's bot (examples/shop/bot.mjs, run by tma-pay serve) answers with",
            '     a button that opens the shop; /buy sends a chat invoice.',
          ]
        : []),
    )
  } else {
    lines.push(
      '  No public URL (--public-url or TMA_PAY_PUBLIC_URL) was given: the webhook is not set, so Telegram',
      "  cannot tell the shop a payment happened. Give the shop's public HTTPS origin and start again.",
    )
  }
  lines.push('', '  Stop with Ctrl-C.', '')
  return lines.join('\n')
}
