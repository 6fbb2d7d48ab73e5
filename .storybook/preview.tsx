import type { Decorator, Preview } from '@storybook/react-vite'
import { type ReactNode, useEffect } from 'react'
import { darkTheme, lightTheme } from 'tma-pay/testing'

type ThemeName = 'light' | 'dark'
const themes = { light: lightTheme, dark: darkTheme }

/**
 * Sets Telegram's theme CSS variables on <html> (`--tg-theme-bg-color`, `--tg-theme-button-color`...),
 * the way a Telegram client (or @tma.js `themeParams.bindCssVars()`) does, from Telegram's own day and
 * night palettes, and paints the page with them.
 */
function applyTelegramTheme(name: ThemeName) {
  const theme = themes[name] ?? lightTheme
  const style = document.documentElement.style
  for (const [key, value] of Object.entries(theme)) {
    if (typeof value === 'string') style.setProperty(`--tg-theme-${key.replaceAll('_', '-')}`, value)
  }
  style.setProperty('--tg-color-scheme', name)
  style.colorScheme = name
  document.body.style.background = 'var(--tg-theme-bg-color)'
  document.body.style.color = 'var(--tg-theme-text-color)'
}

function TelegramTheme({ name, children }: { name: ThemeName; children: ReactNode }) {
  // Set during render for the first paint, and again after mount: a story that mocked Telegram
  // (mockMiniApp) takes its variables away when it unmounts, possibly after this story rendered.
  applyTelegramTheme(name)
  useEffect(() => applyTelegramTheme(name), [name])
  return children
}

const withTelegramTheme: Decorator = (Story, context) => (
  <TelegramTheme name={context.globals.theme === 'dark' ? 'dark' : 'light'}>
    <div
      style={{
        fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        fontSize: 15,
        padding: 16,
        minHeight: 160,
      }}
    >
      <Story />
    </div>
  </TelegramTheme>
)

const preview: Preview = {
  decorators: [withTelegramTheme],
  globalTypes: {
    theme: {
      description: "Telegram's theme (Telegram Desktop's day and night palettes)",
      toolbar: {
        title: 'Telegram theme',
        icon: 'mirror',
        items: [
          { value: 'light', title: 'Light', icon: 'sun' },
          { value: 'dark', title: 'Dark', icon: 'moon' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { theme: 'light' },
  parameters: {
    layout: 'fullscreen',
    controls: { expanded: true },
  },
}

export default preview
