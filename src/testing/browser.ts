// The browser-safe half of `tma-pay/testing`: nothing in this module's graph imports Node built-ins, so
// component tests, Storybook and pages bundled for the browser can use it.
export {
  createFakePayClient,
  type FakeCall,
  type FakeInvoiceClose,
  type FakePayClient,
  type FakePayClientOptions,
  type FakeScenario,
  type FakeTelegramBridge,
} from './fake-pay-client'
export { fakeProducts } from './fake-pay-client/products'
export {
  darkTheme,
  lightTheme,
  type MockClosedInvoice,
  type MockInvoiceScript,
  type MockMainButton,
  type MockMiniApp,
  type MockMiniAppEvent,
  type MockMiniAppOptions,
  type MockMiniAppUser,
  type MockTheme,
  mockMiniApp,
} from './mock-mini-app'
