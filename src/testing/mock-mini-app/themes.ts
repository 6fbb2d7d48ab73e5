// Telegram's own palettes, and the CSS variables a Telegram client gives a Mini App's page.
import type { ThemeParamsType } from '@tma.js/sdk'

/** Telegram Desktop's default day theme, as it sends it in `tgWebAppThemeParams`. */
export const lightTheme: ThemeParamsType = {
  accent_text_color: '#168acd',
  bg_color: '#ffffff',
  bottom_bar_bg_color: '#ffffff',
  button_color: '#40a7e3',
  button_text_color: '#ffffff',
  destructive_text_color: '#d14e4e',
  header_bg_color: '#ffffff',
  hint_color: '#999999',
  link_color: '#168acd',
  secondary_bg_color: '#f1f1f1',
  section_bg_color: '#ffffff',
  section_header_text_color: '#168acd',
  section_separator_color: '#e7e7e7',
  subtitle_text_color: '#999999',
  text_color: '#000000',
}

/** Telegram Desktop's night theme, as it sends it in `tgWebAppThemeParams`. */
export const darkTheme: ThemeParamsType = {
  accent_text_color: '#6ab3f2',
  bg_color: '#17212b',
  bottom_bar_bg_color: '#17212b',
  button_color: '#5289c1',
  button_text_color: '#ffffff',
  destructive_text_color: '#ec3942',
  header_bg_color: '#17212b',
  hint_color: '#708599',
  link_color: '#6ab3f3',
  secondary_bg_color: '#232e3c',
  section_bg_color: '#17212b',
  section_header_text_color: '#6ab3f3',
  section_separator_color: '#111921',
  subtitle_text_color: '#708599',
  text_color: '#f5f5f5',
}

export type MockTheme = 'light' | 'dark' | ThemeParamsType

export function resolveTheme(theme: MockTheme | undefined): ThemeParamsType {
  if (theme === undefined || theme === 'light') return lightTheme
  if (theme === 'dark') return darkTheme
  return theme
}

const cssVarName = (key: string) => `--tg-theme-${key.replaceAll('_', '-')}`

/**
 * Sets `--tg-theme-*` (and `--tg-color-scheme`) on `<html>`, the names Telegram's own script and
 * @tma.js `themeParams.bindCssVars()` use, so `var(--tg-theme-button-color)` works with no app code.
 * Returns a function that removes them again.
 */
export function applyThemeCssVars(
  theme: ThemeParamsType,
  isColorDark: (color: string) => boolean,
): () => void {
  const style = document.documentElement.style
  const names: string[] = []
  for (const [key, value] of Object.entries(theme)) {
    if (typeof value !== 'string') continue
    style.setProperty(cssVarName(key), value)
    names.push(cssVarName(key))
  }
  const dark = theme.bg_color ? isColorDark(theme.bg_color) : false
  style.setProperty('--tg-color-scheme', dark ? 'dark' : 'light')
  names.push('--tg-color-scheme')
  return () => {
    for (const name of names) style.removeProperty(name)
  }
}
