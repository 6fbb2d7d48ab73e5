// A tiny Mini App page for test/mock-mini-app.test.ts, bundled by esbuild for Chromium: mockMiniApp, then the
// vanilla checkout with its default Telegram bridge (@tma.js/sdk's invoice.openUrl), against the real pay server.
import { init, mainButton, on, postEvent } from '@tma.js/sdk'
import { createCheckout, createPayClient } from 'tma-pay'
import { type MockInvoiceScript, mockMiniApp } from 'tma-pay/testing/browser'

const query = new URLSearchParams(location.search)
const mock = await mockMiniApp({
  simulatorUrl: query.get('sim') ?? undefined,
  user: { id: Number(query.get('user')), firstName: 'Ada' },
  theme: query.get('theme') === 'dark' ? 'dark' : 'light',
  invoice: (query.get('invoice') ?? 'sheet') as 'sheet' | MockInvoiceScript,
  invoiceDelayMs: 20,
})
init()
mainButton.mount()
mainButton.setParams({ text: 'Buy the Magic Book', isVisible: true, isEnabled: true })

const checkout = createCheckout({
  client: createPayClient({ baseUrl: '/api/pay', initData: mock.initData }),
  pollInitialMs: 100,
  pollMaxMs: 300,
})
const button = document.querySelector<HTMLButtonElement>('#pay')!
const status = document.querySelector<HTMLElement>('#status')!
button.addEventListener('click', async () => {
  status.textContent = 'paying'
  const result = await checkout.pay('magic-book')
  status.dataset.order = result.order?.status ?? ''
  status.textContent = result.status
})

// For the test to look at what the mocked Telegram saw and to ask it things.
Object.assign(window, { mock, tma: { on, postEvent } })
document.body.dataset.ready = 'true'
