import { useState } from 'react'
import { AdminPage } from './AdminPage'
import { MainButtonBar } from './MainButtonBar'
import type { ShopMainButton } from './main-button'
import { OrderHistory } from './OrderHistory'
import { PendingBanner } from './PendingBanner'
import { ProductGrid } from './ProductGrid'
import { ProductPage } from './ProductPage'
import { adminHref, useRoute } from './route'
import { rememberTheme, type ShopTheme } from './theme'

export interface AppProps {
  userName: string
  initialTheme: ShopTheme
  /** Switches Telegram's theme (mockMiniApp's `setTheme`: new --tg-theme-* variables and `theme_changed`). */
  setTheme: (theme: ShopTheme) => void
  mainButton: ShopMainButton
  /** True when payments go to the Telegram simulator (no real Stars). */
  simulated: boolean
  /** Inside a real Telegram client: it owns the theme and draws the MainButton, so the shop shows neither. */
  inTelegram?: boolean
  /** Where the pay server is mounted (the admin page calls its admin routes). */
  basePath?: string
  /** The demo's admin key, on the simulator only; otherwise the admin page asks for one. */
  adminKey?: string | undefined
}

export function App({
  userName,
  initialTheme,
  setTheme,
  mainButton,
  simulated,
  inTelegram = false,
  basePath = '/api/pay',
  adminKey,
}: AppProps) {
  const route = useRoute()
  const [theme, setShopTheme] = useState(initialTheme)
  const toggleTheme = () => {
    const next = theme === 'dark' ? 'light' : 'dark'
    setTheme(next)
    rememberTheme(next)
    setShopTheme(next)
  }

  return (
    <div className="shop" data-theme={theme} data-testid="shop">
      <header className="shop-header">
        <a className="shop-title" href="#/">
          Wizard Shop
        </a>
        <span className="shop-user">Hi, {userName}</span>
        {!inTelegram && (
          <button
            type="button"
            className="theme-toggle"
            data-testid="theme-toggle"
            aria-label={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={toggleTheme}
          >
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
        )}
        <a className="admin-link" href={adminHref} data-testid="admin-link">
          Admin
        </a>
      </header>
      {simulated && (
        <p className="shop-note">
          Telegram simulator: the invoice sheet is a stand-in, and no real Stars are charged.
        </p>
      )}
      <PendingBanner />
      <main>
        {route.page === 'admin' ? (
          <AdminPage baseUrl={basePath} demoKey={adminKey} />
        ) : route.page === 'product' ? (
          <ProductPage productId={route.productId} mainButton={mainButton} />
        ) : (
          <>
            <ProductGrid />
            <OrderHistory />
          </>
        )}
      </main>
      {!inTelegram && <MainButtonBar mainButton={mainButton} />}
    </div>
  )
}
