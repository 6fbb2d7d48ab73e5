'use client'
import { initData } from '@tma.js/sdk'
import { useSyncExternalStore } from 'react'

// Every SDK read is guarded: outside Telegram (a browser tab, tests, SSR) the SDK may throw.
const read = () => {
  try {
    return initData.user()?.language_code
  } catch {
    return undefined
  }
}
const subscribe = (onChange: () => void) => {
  try {
    return initData.user.sub(onChange)
  } catch {
    return () => {}
  }
}
const none = () => undefined

/**
 * The user's language from Telegram's init data (`initData.restore()` must have run), or undefined.
 * The server snapshot is undefined, so SSR and hydration never touch the SDK.
 */
export function useTelegramLanguage(): string | undefined {
  return useSyncExternalStore(subscribe, read, none)
}
