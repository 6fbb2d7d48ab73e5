// @vitest-environment happy-dom
// mockMiniApp where users' component tests run (happy-dom, no simulator): the SDK sees Telegram, the theme
// variables are set, the MainButton is recorded, and the invoice sheet answers @tma.js/sdk's invoice.openUrl.
import { init, invoice, mainButton, themeParams } from '@tma.js/sdk'
import { createCheckout } from 'tma-pay'
import { createFakePayClient, mockMiniApp } from 'tma-pay/testing'
import { expect, it } from 'vitest'

const byTestId = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)
const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name)

it('mocks Telegram for the SDK in happy-dom, and close() takes it away', async () => {
  const mock = await mockMiniApp({ theme: 'dark', user: { id: 7, languageCode: 'ru' } })
  init()
  expect(mock.user).toMatchObject({ id: 7, languageCode: 'ru' })
  expect(new URLSearchParams(mock.initData).get('user')).toContain('"id":7')
  expect(cssVar('--tg-theme-button-color')).toBe('#5289c1')
  expect(cssVar('--tg-color-scheme')).toBe('dark')
  themeParams.mount()
  expect(themeParams.buttonColor()).toBe('#5289c1')

  mainButton.mount()
  mainButton.setParams({ text: 'Go', isVisible: true })
  expect(mock.mainButton).toMatchObject({ text: 'Go', is_visible: true })
  let pressed = 0
  mainButton.onClick(() => pressed++)
  mock.pressMainButton()
  await expect.poll(() => pressed).toBe(1)

  mock.setTheme('light')
  expect(cssVar('--tg-theme-button-color')).toBe('#40a7e3')
  await expect.poll(() => themeParams.buttonColor()).toBe('#40a7e3')

  // The sheet, with no simulator behind it: Pay reports paid.
  const closed = invoice.openUrl('https://t.me/$abc')
  await expect.poll(() => byTestId('tma-pay-invoice-sheet')).not.toBeNull()
  byTestId<HTMLButtonElement>('tma-pay-invoice-pay')!.click()
  expect(await closed).toBe('paid')
  expect(byTestId('tma-pay-invoice-sheet')).toBeNull()
  expect(mock.invoices).toEqual([{ slug: 'abc', status: 'paid' }])

  // The fake client with the real SDK bridge: Cancel in the sheet ends cancelled.
  const fake = createFakePayClient({ delayMs: 0 })
  const storage = { getItem: () => null, setItem() {}, removeItem() {} }
  const result = createCheckout({ client: fake, storage, pollInitialMs: 5 }).pay('magic-book')
  await expect.poll(() => byTestId('tma-pay-invoice-cancel')).not.toBeNull()
  byTestId<HTMLButtonElement>('tma-pay-invoice-cancel')!.click()
  expect((await result).status).toBe('cancelled')
  expect(mock.events.filter((event) => event.name === 'web_app_open_invoice')).toHaveLength(2)

  mock.close()
  expect(cssVar('--tg-theme-button-color')).toBe('')
  expect('TelegramWebviewProxy' in window).toBe(false)
})
