// Light or dark Telegram theme: `?theme=` wins, then the last choice made with the toggle.
export type ShopTheme = 'light' | 'dark'

const key = 'tma-pay-shop-theme'

export function initialTheme(fromQuery: string | null): ShopTheme {
  if (fromQuery === 'light' || fromQuery === 'dark') return fromQuery
  try {
    return localStorage.getItem(key) === 'dark' ? 'dark' : 'light'
  } catch {
    return 'light'
  }
}

export function rememberTheme(theme: ShopTheme): void {
  try {
    localStorage.setItem(key, theme)
  } catch {
    // Storage may be off (private mode); the toggle still works for this visit.
  }
}
