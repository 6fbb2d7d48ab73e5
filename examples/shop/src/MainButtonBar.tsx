import { useSyncExternalStore } from 'react'
import type { ShopMainButton } from './main-button'

/** The stand-in for Telegram's bottom MainButton (mockMiniApp does not draw one). */
export function MainButtonBar({ mainButton }: { mainButton: ShopMainButton }) {
  const params = useSyncExternalStore(mainButton.subscribe, mainButton.getParams)
  if (!params.isVisible) return null
  return (
    <div className="main-button-bar">
      <button
        type="button"
        className="main-button"
        data-testid="main-button"
        disabled={params.isEnabled === false}
        aria-busy={params.isLoaderVisible === true}
        onClick={mainButton.press}
      >
        {params.isLoaderVisible && <span className="tma-pay-spinner" aria-hidden />}
        {params.text}
      </button>
    </div>
  )
}
