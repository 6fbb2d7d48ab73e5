// The demo shop's entry, in one of three ways:
// - on the Telegram simulator (`npm start`, the e2e tests), outside Telegram: the page runs inside
//   mockMiniApp, a mocked Telegram client whose invoice sheet pays through the simulator;
// - inside Telegram (a real bot, `TMA_PAY_BOT_TOKEN`): no mock; the SDK's init data, theme and MainButton;
// - with a real bot but opened in a plain browser tab: a hint to open it in Telegram, since there is no
//   init data to pay with.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { init, initData, isTMA, miniApp, themeParams } from '@tma.js/sdk'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createPayClient, type PayClient } from 'tma-pay'
import { liveOrderStream } from 'tma-pay/live'
import { PayProvider } from 'tma-pay/react'
import { ruLabels, zhLabels } from 'tma-pay/react/locales'
import { AdminPage } from './AdminPage'
import { App } from './App'
import { createShopMainButton, type ShopMainButton } from './main-button'
import { adminHref, parseRoute } from './route'
import { initialTheme, type ShopTheme } from './theme'
import './shop.css'

// The shop speaks English, Russian and Chinese; PayButton picks the user's language from these.
const translations = { ru: ruLabels, zh: zhLabels }

interface ShopConfig {
  /** Where the Telegram simulator runs; null with a real bot. */
  simulatorUrl: string | null
  basePath: string
  /** True when `tma-pay serve` talks to real Telegram (a bot token was given). */
  realTelegram?: boolean
  /** The admin key, handed over by the dev server on the simulator only (never with a real bot). */
  adminKey?: string | null
}

interface Shop {
  client: PayClient
  userName: string
  theme: ShopTheme
  setTheme: (theme: ShopTheme) => void
  mainButton: ShopMainButton
  /** True inside a real Telegram client, which draws its own MainButton and owns the theme. */
  inTelegram: boolean
}

const config = (await (await fetch('/shop-config.json')).json()) as ShopConfig
const root = createRoot(document.getElementById('root')!)

// Telegram opens a Mini App with its launch params in the URL's hash. With a real bot, isTMA() also looks at
// sessionStorage (where the SDK keeps them across reloads); on the simulator it must not, since mockMiniApp
// leaves its own launch params there and a reload would then look like Telegram.
const launchedByTelegram = /(?:^#|&)tgWebAppData=/.test(location.hash)
const inTelegram = launchedByTelegram || (!!config.realTelegram && isTMA())

// Outside Telegram with a real bot, one of two pages renders alone (the admin page or the hint to open the shop
// in Telegram): a change of route, to the admin page or back, loads the page afresh.
if (config.realTelegram && !inTelegram) window.addEventListener('hashchange', () => location.reload())

if (config.realTelegram && !inTelegram && parseRoute(location.hash).page === 'admin') {
  // The shop owner's page needs no Telegram user, only the admin key: it opens in a plain tab too.
  root.render(
    <StrictMode>
      <QueryClientProvider client={new QueryClient()}>
        <div className="shop" data-testid="shop">
          <AdminPage baseUrl={config.basePath} />
        </div>
      </QueryClientProvider>
    </StrictMode>,
  )
} else if (config.realTelegram && !inTelegram) {
  root.render(<OpenInTelegram />)
} else {
  const shop = inTelegram ? telegramShop(config) : await simulatedShop(config)
  root.render(
    <StrictMode>
      <QueryClientProvider client={new QueryClient()}>
        <PayProvider client={shop.client} translations={translations}>
          <App
            userName={shop.userName}
            initialTheme={shop.theme}
            setTheme={shop.setTheme}
            mainButton={shop.mainButton}
            simulated={!!config.simulatorUrl && !inTelegram}
            inTelegram={shop.inTelegram}
            basePath={config.basePath}
            adminKey={inTelegram ? undefined : (config.adminKey ?? undefined)}
          />
        </PayProvider>
      </QueryClientProvider>
    </StrictMode>,
  )
}

/** Inside Telegram: what @tma.js/sdk v3 needs, in its order. */
function telegramShop(config: ShopConfig): Shop {
  init()
  // init() does not restore init data by itself.
  initData.restore()
  // Mounted before bindCssVars(), which throws on an unmounted component.
  themeParams.mount()
  themeParams.bindCssVars()
  if (miniApp.mount.isAvailable()) miniApp.mount()
  if (miniApp.ready.isAvailable()) miniApp.ready()
  const user = initData.user()
  return {
    // A function: the SDK's value is read at each request.
    client: createPayClient({
      baseUrl: config.basePath,
      initData: () => initData.raw(),
      orderStream: liveOrderStream,
    }),
    userName: user?.first_name ?? (user ? `user ${user.id}` : 'there'),
    theme: themeParams.isDark() ? 'dark' : 'light',
    // Telegram owns the theme; the shop only follows it (App hides its toggle).
    setTheme: () => {},
    // Telegram draws and presses its own MainButton; the shop draws no stand-in.
    mainButton: createShopMainButton(() => {}),
    inTelegram: true,
  }
}

/** Outside Telegram, on the simulator: a mocked Telegram client (loaded only here). */
async function simulatedShop(config: ShopConfig): Promise<Shop> {
  const { mockMiniApp } = await import('tma-pay/testing/browser')
  const query = new URLSearchParams(location.search)
  const theme = initialTheme(query.get('theme'))
  // `?user=ID` lets the tests (or you, in a second tab) be another Telegram user, with their own history.
  const userId = Number(query.get('user')) || 1001
  // Must run, and finish, before anything reads the SDK: @tma.js computes what the client supports once.
  const mock = await mockMiniApp({
    ...(config.simulatorUrl ? { simulatorUrl: config.simulatorUrl } : {}),
    theme,
    user: { id: userId, firstName: 'Ada', languageCode: 'en' },
  })
  init()
  initData.restore()
  return {
    client: createPayClient({
      baseUrl: config.basePath,
      initData: mock.initData,
      orderStream: liveOrderStream,
    }),
    userName: mock.user.firstName ?? `user ${mock.user.id}`,
    theme,
    setTheme: mock.setTheme,
    mainButton: createShopMainButton(() => mock.pressMainButton()),
    inTelegram: false,
  }
}

function OpenInTelegram() {
  return (
    <div className="shop open-in-telegram" data-testid="open-in-telegram">
      <h1 className="shop-title">Wizard Shop</h1>
      <p>
        This shop runs with a real Telegram bot: open it in Telegram, from the bot's menu button or a link to
        the Mini App, to buy with Stars.
      </p>
      <p className="shop-note">
        In a plain browser tab there is no Telegram user to pay as. To try it without Telegram, run{' '}
        <code>npm start</code> without <code>TMA_PAY_BOT_TOKEN</code>: the Telegram simulator stands in.
      </p>
      <p className="shop-note">
        <a className="admin-link" href={adminHref} data-testid="admin-link">
          Shop owner? The admin page
        </a>
      </p>
    </div>
  )
}
