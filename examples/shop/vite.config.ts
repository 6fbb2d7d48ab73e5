// The demo shop's Vite config. `scripts/start.mjs` (npm start) sets TMA_PAY_API_URL and TMA_PAY_SIM_URL
// from what `tma-pay serve` printed; by hand:
//   TMA_PAY_API_URL=http://127.0.0.1:3000/api/pay TMA_PAY_SIM_URL=http://127.0.0.1:8081 \
//     npx vite --config examples/shop/vite.config.ts
// With a real bot, start.mjs sets TMA_PAY_SHOP_REAL_TELEGRAM=1 instead of TMA_PAY_SIM_URL, and
// TMA_PAY_PUBLIC_URL (the shop's public HTTPS origin) is a host Vite accepts. TMA_PAY_SHOP_HOST=0.0.0.0
// listens on every interface, for a reverse proxy or tunnel on another machine. On the simulator,
// TMA_PAY_SHOP_ADMIN_KEY (start.mjs sets it to serve's --admin-key) is handed to the admin page at runtime.
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url))

const apiUrl = process.env.TMA_PAY_API_URL ?? 'http://127.0.0.1:3000/api/pay'
const simUrl = process.env.TMA_PAY_SIM_URL
const realTelegram = process.env.TMA_PAY_SHOP_REAL_TELEGRAM === '1'
const publicUrl = process.env.TMA_PAY_PUBLIC_URL
// Only on the simulator, and only at runtime through /shop-config.json (never a `define`, so never in a build):
// with a real bot the admin page asks for the key.
const adminKey = realTelegram ? undefined : process.env.TMA_PAY_SHOP_ADMIN_KEY || undefined
// Vite answers only the hosts it knows (localhost, IPs) and 403s the rest: the public URL's host is added, so
// Telegram (the Mini App and the webhook, both through the tunnel or proxy) reaches the shop.
const allowedHosts = publicUrl ? [new URL(publicUrl).hostname] : []

/** Hands the page the simulator's URL at runtime, so one dev server follows whatever port the simulator got. */
function shopConfig(): Plugin {
  return {
    name: 'tma-pay-shop-config',
    configureServer(server) {
      server.middlewares.use('/shop-config.json', (_request, response) => {
        response.setHeader('content-type', 'application/json')
        response.setHeader('cache-control', 'no-store')
        response.end(
          JSON.stringify({
            simulatorUrl: realTelegram ? null : (simUrl ?? null),
            basePath: '/api/pay',
            realTelegram,
            adminKey: adminKey ?? null,
          }),
        )
      })
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Inside the repository's own node_modules: the example has none of its own.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/shop', import.meta.url)),
  clearScreen: false,
  logLevel: process.env.TMA_PAY_SHOP_LOG_LEVEL === 'info' ? 'info' : 'warn',
  plugins: [shopConfig()],
  resolve: {
    // The shop imports the package as a user does; here the names point at the sources, so it runs without
    // `npm run build` (as .storybook/main.ts does). `tma-pay/testing` is its browser half in a page.
    alias: [
      { find: /^tma-pay$/, replacement: src('core/index.ts') },
      { find: /^tma-pay\/live$/, replacement: src('core/live.ts') },
      { find: /^tma-pay\/react$/, replacement: src('react/index.ts') },
      { find: /^tma-pay\/react\/locales$/, replacement: src('react/locales.ts') },
      { find: /^tma-pay\/react\/subscriptions$/, replacement: src('react/subscriptions.ts') },
      { find: /^tma-pay\/testing(\/browser)?$/, replacement: src('testing/browser.ts') },
    ],
    dedupe: ['react', 'react-dom', '@tanstack/react-query', 'zustand', '@tma.js/sdk'],
  },
  // Pre-bundled up front: a dependency found late makes Vite reload the page, which a test (or a person
  // halfway through paying) would see as a glitch.
  optimizeDeps: {
    include: [
      'react',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-dom/client',
      '@tanstack/react-query',
      'zustand',
      'zustand/middleware',
      'zustand/vanilla',
      '@tma.js/sdk',
    ],
  },
  server: {
    host: process.env.TMA_PAY_SHOP_HOST || '127.0.0.1',
    port: 5173,
    allowedHosts,
    // The shop calls its own origin, as a Mini App does in production; Vite passes /api/pay to tma-pay. With a
    // real bot, Telegram's webhook (PUBLIC_URL/api/pay/telegram/webhook) comes the same way.
    proxy: { '/api/pay': { target: new URL(apiUrl).origin, changeOrigin: true } },
    fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] },
  },
})
