'use client'
// What the React kit reads from and drives in Telegram, through @tma.js/sdk.
import { initData, mainButton } from '../core/sdk'
import { useSyncExternalStore } from './peers'

/** What PayButton's `main-button` variant shows on Telegram's bottom button. */
export interface MainButtonParams {
  text: string
  isVisible: boolean
  isEnabled: boolean
  isLoaderVisible: boolean
}

/** The little of Telegram's MainButton PayButton needs; swap it for stories, tests or another SDK. */
export interface MainButtonAdapter {
  /** Shows the state; never throws. */
  setParams(params: Partial<MainButtonParams>): void
  /** Listens to taps; returns the function that stops listening. Never throws. */
  onClick(listener: () => void): () => void
}

// Outside Telegram (or before init()) the SDK's calls throw (FunctionUnavailableError, synchronously):
// the button just stays hidden.
/** The MainButton of @tma.js/sdk, mounted on first use. Needs `init()` from @tma.js/sdk to have run. */
export const sdkMainButton: MainButtonAdapter = {
  setParams(params) {
    try {
      if (!mainButton.isMounted()) mainButton.mount()
      mainButton.setParams(params)
    } catch {}
  },
  onClick(listener) {
    try {
      return mainButton.onClick(listener)
    } catch {
      return () => {}
    }
  },
}

// Every SDK read is guarded: outside Telegram (a browser tab, tests, SSR) the SDK may throw.
const read = () => {
  try {
    return initData.user()?.language_code
  } catch {}
}
// Init data is fixed for the Mini App's life, so there is nothing to subscribe to; the snapshot is
// read on every render, which picks up init data restored after the first one.
const subscribe = () => () => {}
const none = () => undefined

/**
 * The user's language from Telegram's init data (`initData.restore()` must have run), or undefined.
 * The server snapshot is undefined, so SSR and hydration never touch the SDK.
 */
export function useTelegramLanguage(): string | undefined {
  return useSyncExternalStore(subscribe, read, none)
}
