// A Telegram client for a Mini App page running outside Telegram (tests, local runs, Storybook), over
// @tma.js `mockTelegramEnv`: launch params with init data, theme, and answers to the methods the app calls.
// Browser-safe: DOM and fetch only.
import type { MethodParams, ThemeParamsType } from '@tma.js/sdk'
import { defaultUser, type MockMiniAppUser, obtainInitData, userOfInitData } from './init-data'
import { type InvoiceSheet, type SheetStatus, showInvoiceSheet } from './invoice-sheet'
import { type SimulatorApi, type SimulatorPayOutcome, simulatorApi } from './simulator-api'
import { applyThemeCssVars, type MockTheme, resolveTheme } from './themes'

export type { MockMiniAppUser } from './init-data'
export { darkTheme, lightTheme, type MockTheme } from './themes'

/**
 * What the user does at an invoice, played without UI:
 * - `paid`: pays (through the simulator, when there is one) and Telegram reports what the payment came to.
 * - `cancelled`: closes it; reports `cancelled`.
 * - `failed` / `pending`: reports that status, nothing paid.
 * - `cancelled-but-paid`: pays, but reports `cancelled` (macOS).
 * - `failed-but-paid`: pays, but reports `failed` (a fast tap).
 * - `no-event`: the client never sends `invoice_closed` (macOS on cancel).
 */
export type MockInvoiceScript =
  | 'paid'
  | 'cancelled'
  | 'failed'
  | 'pending'
  | 'cancelled-but-paid'
  | 'failed-but-paid'
  | 'no-event'

export interface MockMiniAppOptions {
  /** The user the app runs as; with `initData`, the user inside it wins. Default `{ id: 1000, firstName: 'Test', languageCode: 'en' }`. */
  user?: Partial<MockMiniAppUser>
  /** Telegram's palette: `light`, `dark` (Telegram Desktop's day and night themes) or your own params. Default 'light'. */
  theme?: MockTheme
  /** How `web_app_open_invoice` is answered: an invoice sheet in the page (Pay / Cancel), or a scripted outcome. Default 'sheet'. */
  invoice?: 'sheet' | MockInvoiceScript
  /** The Telegram simulator (`createTelegramSimulator().url`): signs init data, shows invoices, takes payments. Default none: unsigned init data, and invoices close with no payment behind them. */
  simulatorUrl?: string
  /** Raw init data to launch with (e.g. from the simulator's `POST /sim/init-data`). Default: signed by the simulator, else unsigned. */
  initData?: string
  /** `tgWebAppPlatform`. Default 'tdesktop'. */
  platform?: string
  /** `tgWebAppVersion`, the Mini Apps version the client supports. Default '8.0'. */
  version?: string
  /** How long a scripted invoice stays open before its outcome, in ms. Default 100. */
  invoiceDelayMs?: number
}

/** A Mini Apps method the app called: what a Telegram client received. */
export interface MockMiniAppEvent {
  name: string
  params: unknown
}

/** How an invoice closed, as reported to the app. */
export interface MockClosedInvoice {
  slug: string
  status: SheetStatus | 'pending'
}

export type MockMainButton = MethodParams<'web_app_setup_main_button'>

export interface MockMiniApp {
  /** The raw init data the app was launched with (send it as `Authorization: tma <initData>`). */
  readonly initData: string
  readonly user: MockMiniAppUser
  /** Every method the app called, oldest first. */
  readonly events: readonly MockMiniAppEvent[]
  /** The MainButton as the app last set it up (`web_app_setup_main_button`), or undefined. */
  readonly mainButton: MockMainButton | undefined
  /** Invoices closed so far, oldest first, with the status `invoice_closed` carried. */
  readonly invoices: readonly MockClosedInvoice[]
  /** Presses Telegram's MainButton (`main_button_pressed`). */
  pressMainButton(): void
  /** Switches the theme as a user would: new CSS variables and `theme_changed`. */
  setTheme(theme: MockTheme): void
  /** Takes the sheet and CSS variables away and stops answering. Launch params stay in sessionStorage. */
  close(): void
}

const zeroInsets = { top: 0, bottom: 0, left: 0, right: 0 }

// What a simulated payment makes the Telegram client report.
const statusOfPayment: Record<SimulatorPayOutcome, SheetStatus> = {
  paid: 'paid',
  cancelled: 'cancelled',
  refused: 'failed',
  no_answer: 'failed',
}

/**
 * Makes the page a Mini App inside a mocked Telegram client. Call it, and await it, before anything reads
 * the SDK (`init()`, `retrieveLaunchParams()`...): @tma.js computes what the environment supports once.
 * Theme CSS variables (`--tg-theme-button-color`...) are set on `<html>` for you.
 *
 * @example
 * const mock = await mockMiniApp({ simulatorUrl: 'http://127.0.0.1:8081', theme: 'dark' })
 * init()
 * const client = createPayClient({ baseUrl: '/api/pay', initData: mock.initData })
 */
/**
 * @tma.js/sdk, loaded when a mock is made rather than when tma-pay/testing is imported: a Node project that uses
 * the simulator alone does not need it.
 */
const loadSdk = () =>
  import('@tma.js/sdk').catch((cause: unknown) => {
    throw new Error('mockMiniApp() needs @tma.js/sdk, the SDK your Mini App uses: npm install @tma.js/sdk', {
      cause,
    })
  })

export async function mockMiniApp(options: MockMiniAppOptions = {}): Promise<MockMiniApp> {
  const { emitEvent, isColorDark, mockTelegramEnv } = await loadSdk()
  const simulator: SimulatorApi | undefined = options.simulatorUrl
    ? simulatorApi(options.simulatorUrl)
    : undefined
  const wanted: MockMiniAppUser = { ...defaultUser, ...options.user }
  const initData = await obtainInitData(wanted, options.initData, simulator)
  const user = userOfInitData(initData) ?? wanted
  const invoiceMode = options.invoice ?? 'sheet'
  const invoiceDelayMs = options.invoiceDelayMs ?? 100
  let theme: ThemeParamsType = resolveTheme(options.theme)

  const events: MockMiniAppEvent[] = []
  const invoices: MockClosedInvoice[] = []
  const sheets = new Set<InvoiceSheet>()
  let mainButton: MockMainButton | undefined
  let closed = false
  let removeCssVars = applyThemeCssVars(theme, isColorDark)

  // Telegram answers asynchronously; answering inside postEvent would run the app's listeners re-entrantly.
  const later = (send: () => void) =>
    void setTimeout(() => {
      if (!closed) send()
    }, 0)
  const sendTheme = () => later(() => emitEvent('theme_changed', { theme_params: theme }))

  function report(slug: string, status: MockClosedInvoice['status']) {
    if (closed) return
    invoices.push({ slug, status })
    later(() => emitEvent('invoice_closed', { slug, status }))
  }

  async function payAtSimulator(slug: string, outcome: 'paid' | 'cancelled'): Promise<SheetStatus> {
    if (!simulator) return outcome
    return statusOfPayment[await simulator.pay({ slug, userId: user.id, outcome })]
  }

  function showSheet(slug: string) {
    const details = simulator ? simulator.invoice(slug).catch(() => undefined) : Promise.resolve(undefined)
    const sheet = showInvoiceSheet(slug, details, () =>
      payAtSimulator(slug, 'paid').catch((error: unknown) => {
        console.error('mockMiniApp: the simulator did not take the payment', error)
        return 'failed' as const
      }),
    )
    sheets.add(sheet)
    void sheet.closed.then(async (status) => {
      sheets.delete(sheet)
      // Telegram hears of a cancel too; it changes nothing there, so a failure to tell it does not matter.
      if (status === 'cancelled') await payAtSimulator(slug, 'cancelled').catch(() => undefined)
      report(slug, status)
    })
  }

  async function playScript(slug: string, script: MockInvoiceScript) {
    await new Promise((resolve) => setTimeout(resolve, invoiceDelayMs))
    if (closed) return
    switch (script) {
      case 'paid':
        return report(slug, await payAtSimulator(slug, 'paid'))
      case 'cancelled':
        await payAtSimulator(slug, 'cancelled').catch(() => undefined)
        return report(slug, 'cancelled')
      case 'failed':
      case 'pending':
        return report(slug, script)
      case 'cancelled-but-paid':
        await payAtSimulator(slug, 'paid')
        return report(slug, 'cancelled')
      case 'failed-but-paid':
        await payAtSimulator(slug, 'paid')
        return report(slug, 'failed')
      case 'no-event':
        return
    }
  }

  function openInvoice(slug: string) {
    if (invoiceMode === 'sheet') return showSheet(slug)
    playScript(slug, invoiceMode).catch((error: unknown) => {
      console.error('mockMiniApp: the scripted invoice failed', error)
      report(slug, 'failed')
    })
  }

  const previousProxy = (window as { TelegramWebviewProxy?: unknown }).TelegramWebviewProxy
  mockTelegramEnv({
    launchParams: {
      tgWebAppData: initData,
      tgWebAppVersion: options.version ?? '8.0',
      tgWebAppPlatform: options.platform ?? 'tdesktop',
      tgWebAppThemeParams: theme,
    },
    // In an iframe (Storybook) the SDK posts through postMessage; a fresh mock must not stack on an old one.
    resetPostMessage: true,
    onEvent(event, next) {
      if (closed) return next()
      events.push({ name: event.name, params: event.params })
      switch (event.name) {
        case 'web_app_request_theme':
          return sendTheme()
        case 'web_app_request_viewport':
          return later(() =>
            emitEvent('viewport_changed', {
              height: window.innerHeight,
              width: window.innerWidth,
              is_expanded: true,
              is_state_stable: true,
            }),
          )
        case 'web_app_request_safe_area':
          return later(() => emitEvent('safe_area_changed', zeroInsets))
        case 'web_app_request_content_safe_area':
          return later(() => emitEvent('content_safe_area_changed', zeroInsets))
        case 'web_app_setup_main_button':
          mainButton = { ...mainButton, ...(event.params as MockMainButton) }
          return
        case 'web_app_open_invoice':
          return openInvoice((event.params as { slug: string }).slug)
      }
    },
  })

  return {
    initData,
    user,
    events,
    get mainButton() {
      return mainButton
    },
    invoices,
    pressMainButton: () => later(() => emitEvent('main_button_pressed')),
    setTheme(next) {
      theme = resolveTheme(next)
      removeCssVars()
      removeCssVars = applyThemeCssVars(theme, isColorDark)
      sendTheme()
    },
    close() {
      if (closed) return
      closed = true
      for (const sheet of sheets) sheet.remove()
      sheets.clear()
      removeCssVars()
      // Outside an iframe mockTelegramEnv installed window.TelegramWebviewProxy: put back what was there.
      const target = window as { TelegramWebviewProxy?: unknown }
      if (window.self === window.top) {
        if (previousProxy === undefined) delete target.TelegramWebviewProxy
        else target.TelegramWebviewProxy = previousProxy
      }
    },
  }
}
