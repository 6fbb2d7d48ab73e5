// @vitest-environment happy-dom
// PayButton's `main-button` variant on Telegram's bottom MainButton: through @tma.js/sdk over a mocked
// Telegram (mockTelegramEnv), and through an injected adapter. Payments go to the real pay server.

import { cleanup, render, screen } from '@testing-library/react'
import { emitEvent, init, initData, mockTelegramEnv } from '@tma.js/sdk'
import type { Order } from 'tma-pay'
import { type MainButtonAdapter, type MainButtonParams, PayButton } from 'tma-pay/react'
import { signInitData, testUser } from 'tma-pay/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createUser, ordersOf, Providers, poll, type Stack, startStack } from '../helpers/react-stack'

interface MainButtonSetup {
  text: string
  is_visible: boolean
  is_active: boolean
  is_progress_visible: boolean
}

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())
afterEach(() => cleanup())

describe('main-button variant over @tma.js/sdk', () => {
  const setups: MainButtonSetup[] = []
  let user: ReturnType<typeof createUser>

  beforeAll(() => {
    // The client sends the init data Telegram gave the Mini App, as a real app does.
    user = createUser(stack, { initData: () => initData.raw() ?? '' })
    // Before any SDK read: the SDK computes what is available once.
    mockTelegramEnv({
      launchParams: {
        tgWebAppData: signInitData({
          botToken: stack.botToken,
          user: testUser(user.userId, { language_code: 'zh' }),
        }),
        tgWebAppVersion: '8.0',
        tgWebAppPlatform: 'tdesktop',
        tgWebAppThemeParams: {},
      },
      onEvent: (event) => {
        if (event.name === 'web_app_setup_main_button') setups.push(event.params as MainButtonSetup)
      },
    })
    init()
    initData.restore()
  })

  const last = () => setups.at(-1)

  it("shows the price in the user's language, pays on a tap with the loader on, and hides on unmount", async () => {
    const onPaid = vi.fn<(order: Order) => void>()
    const { unmount } = render(
      <Providers checkout={user.launch()}>
        <PayButton productId="magic-book" variant="main-button" onPaid={onPaid} />
      </Providers>,
    )
    // Chinese from init data's language_code; the price from the server's catalog.
    await poll(last).toMatchObject({
      text: '支付 ⭐ 50',
      is_visible: true,
      is_active: true,
      is_progress_visible: false,
    })
    expect(screen.queryByRole('button')).toBeNull()

    emitEvent('main_button_pressed')
    await poll(() => screen.getByRole('status').textContent).toBe('已支付')
    expect(setups).toContainEqual(
      expect.objectContaining({ text: '创建订单…', is_active: false, is_progress_visible: true }),
    )
    expect(last()).toMatchObject({
      text: '已支付',
      is_visible: true,
      is_active: false,
      is_progress_visible: false,
    })
    expect(onPaid).toHaveBeenCalledTimes(1)

    unmount()
    expect(last()).toMatchObject({ is_visible: false, is_progress_visible: false })
    // Its tap listener is gone too.
    emitEvent('main_button_pressed')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await ordersOf(user)).toBe(1)
  })
})

describe('main-button variant over an injected adapter', () => {
  function fakeMainButton() {
    const shown: Partial<MainButtonParams>[] = []
    const listeners = new Set<() => void>()
    const adapter: MainButtonAdapter = {
      setParams: (params) => void shown.push(params),
      onClick: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    return {
      adapter,
      shown,
      listeners,
      tap: () => {
        for (const listener of listeners) listener()
      },
    }
  }

  it('sets text, loader and enabled from the payment state, ignores taps while busy, and cleans up', async () => {
    const main = fakeMainButton()
    const user = createUser(stack)
    const { unmount } = render(
      <Providers checkout={user.launch()} language="en">
        <PayButton
          product={{ id: 'gem', amount: 5 }}
          quantity={2}
          variant="main-button"
          mainButton={main.adapter}
        />
      </Providers>,
    )
    expect(main.shown.at(-1)).toEqual({
      text: 'Pay ⭐ 10',
      isVisible: true,
      isEnabled: true,
      isLoaderVisible: false,
    })
    expect(main.listeners.size).toBe(1)
    main.tap()
    main.tap()
    await poll(() => screen.getByRole('status').textContent).toBe('Paid')
    expect(main.shown.map((params) => params.text)).toEqual([
      'Pay ⭐ 10',
      'Creating order…',
      'Waiting for payment…',
      'Confirming payment…',
      'Paid',
    ])
    expect(main.shown.at(-1)).toEqual({
      text: 'Paid',
      isVisible: true,
      isEnabled: false,
      isLoaderVisible: false,
    })
    expect(await ordersOf(user)).toBe(1)
    // Paid: a tap does not sell it again.
    main.tap()
    expect(main.shown.at(-1)?.text).toBe('Paid')

    unmount()
    expect(main.listeners.size).toBe(0)
    expect(main.shown.at(-1)).toEqual({ isVisible: false, isLoaderVisible: false })
  })
})
