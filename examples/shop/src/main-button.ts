// Telegram's bottom MainButton, for PayButton's `main-button` variant. Inside Telegram the client draws it;
// mockMiniApp only records what the app asked for, so the shop draws a stand-in (MainButtonBar) that
// mirrors the same params and presses the button the way Telegram would (`main_button_pressed`).
import { type MainButtonAdapter, type MainButtonParams, sdkMainButton } from 'tma-pay/react'

export interface ShopMainButton extends MainButtonAdapter {
  /** What the app last asked the MainButton to show. */
  getParams(): Partial<MainButtonParams>
  subscribe(listener: () => void): () => void
  /** Presses it as a user would in Telegram. */
  press(): void
}

export function createShopMainButton(press: () => void): ShopMainButton {
  let params: Partial<MainButtonParams> = { isVisible: false }
  const listeners = new Set<() => void>()
  return {
    setParams(next) {
      // The real path first: the (mocked) Telegram client hears web_app_setup_main_button.
      sdkMainButton.setParams(next)
      params = { ...params, ...next }
      for (const listener of listeners) listener()
    },
    onClick: (listener) => sdkMainButton.onClick(listener),
    getParams: () => params,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    press,
  }
}
