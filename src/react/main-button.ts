'use client'
import { mainButton } from '@tma.js/sdk'

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

// Outside Telegram (or before init()) the SDK's calls are unavailable or throw: the button just stays hidden.
/** The MainButton of @tma.js/sdk, mounted on first use. Needs `init()` from @tma.js/sdk to have run. */
export const sdkMainButton: MainButtonAdapter = {
  setParams(params) {
    try {
      if (mainButton.mount.isAvailable() && !mainButton.isMounted()) mainButton.mount()
      if (mainButton.setParams.isAvailable()) mainButton.setParams(params)
    } catch {}
  },
  onClick(listener) {
    try {
      if (mainButton.onClick.isAvailable()) return mainButton.onClick(listener)
    } catch {}
    return () => {}
  },
}
