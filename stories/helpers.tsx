// What the stories share: a payment kit on the fake client, clients that stop at one step (to hold a
// transient state on screen), and a stand-in for Telegram's MainButton.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { type CSSProperties, type ReactNode, useEffect, useState, useSyncExternalStore } from 'react'
import { type Checkout, createCheckout, type PayClient, PayError } from 'tma-pay'
import { type MainButtonAdapter, type MainButtonParams, type PayLabels, PayProvider } from 'tma-pay/react'
import { ruLabels, zhLabels } from 'tma-pay/react/locales'
import { createFakePayClient, type FakePayClient, type FakePayClientOptions } from 'tma-pay/testing'

/** Storage kept in memory, so a story never sees another story's pending payment (localStorage is shared). */
export function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (name: string) => items.get(name) ?? null,
    setItem: (name: string, value: string) => void items.set(name, value),
    removeItem: (name: string) => void items.delete(name),
  }
}

export type Storage = ReturnType<typeof memoryStorage>

/** A promise that never settles, unless the flow is stopped (unmount, reset): then it rejects as aborted. */
function never<T>(signal?: AbortSignal): Promise<T> {
  return new Promise<T>((_resolve, reject) => {
    signal?.addEventListener(
      'abort',
      () => reject(new PayError('aborted', 'The payment flow was stopped.')),
      {
        once: true,
      },
    )
  })
}

/** Where a held client stops for good, keeping the state before it on screen. */
export type HoldAt = 'createOrder' | 'confirm'

/**
 * The fake client, stopped at one step: `createOrder` keeps PayButton `creating`; `confirm` (the closing
 * hint and every order check after the invoice) keeps it `confirming`.
 */
export function holdAt(fake: FakePayClient, step: HoldAt): FakePayClient {
  const held: Partial<PayClient> =
    step === 'createOrder'
      ? { createOrder: (_input, options) => never(options?.signal) }
      : {
          reportClientStatus: (orderId, status, options) =>
            status === 'pending' ? fake.reportClientStatus(orderId, status, options) : never(options?.signal),
          getOrder: (_orderId, options) => never(options?.signal),
        }
  return new Proxy(fake, {
    get: (target, key, receiver) =>
      key in held ? held[key as keyof PayClient] : Reflect.get(target, key, receiver),
  })
}

/** What a story's loader hands the story: a fresh fake for every render. */
export interface FakeLoaded {
  fake: FakePayClient
  storage: Storage
  /** The stand-in for Telegram's MainButton, for the `main-button` variant. */
  mainButton: StandInMainButton
}

/** A loader that makes a fresh fake client (optionally held at a step), storage and MainButton per render. */
export const fakeLoader = (options: FakePayClientOptions, hold?: HoldAt) => async (): Promise<FakeLoaded> => {
  const fake = createFakePayClient(options)
  return {
    fake: hold ? holdAt(fake, hold) : fake,
    storage: memoryStorage(),
    mainButton: createStandInMainButton(),
  }
}

/** The checkout a Mini App makes at launch, on the fake: its Telegram bridge, in-memory storage, quick polls. */
export function fakeCheckout(fake: FakePayClient, storage: Storage): Checkout {
  return createCheckout({
    client: fake,
    telegram: fake.telegram,
    storage,
    pollInitialMs: 200,
    pollMaxMs: 1000,
  })
}

interface PayKitProps {
  fake: FakePayClient
  storage: Storage
  language?: string
  labels?: Partial<PayLabels>
  children: ReactNode
}

/** What an app puts around its payment UI: a QueryClientProvider and a PayProvider, here on the fake client. */
export function PayKit({ fake, storage, language, labels, children }: PayKitProps) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: false } } }))
  const [checkout] = useState(() => fakeCheckout(fake, storage))
  return (
    <QueryClientProvider client={queryClient}>
      <PayProvider
        checkout={checkout}
        translations={{ ru: ruLabels, zh: zhLabels }}
        {...(language && { language })}
        {...(labels && { labels })}
      >
        {children}
      </PayProvider>
    </QueryClientProvider>
  )
}

/** A product card around the button, as in the demo shop. */
export function ProductCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section
      style={{
        display: 'grid',
        gap: 12,
        justifyItems: 'start',
        padding: 16,
        borderRadius: 12,
        background: 'var(--tg-theme-secondary-bg-color)',
        color: 'var(--tg-theme-text-color)',
        maxWidth: 320,
      }}
    >
      <strong>{title}</strong>
      {children}
    </section>
  )
}

// ---- A stand-in for Telegram's MainButton -------------------------------------------------------------

/**
 * Telegram draws the MainButton itself, outside the page, so a story cannot show the real one. This adapter
 * takes what PayButton sends (text, visible, enabled, loader) and the stand-in below draws it the way
 * Telegram does: a full-width bar at the bottom in the theme's button colours.
 */
export interface StandInMainButton extends MainButtonAdapter {
  getParams(): MainButtonParams
  subscribe(listener: () => void): () => void
  /** A tap on the bar, as Telegram reports it to the app. */
  press(): void
}

export function createStandInMainButton(): StandInMainButton {
  let params: MainButtonParams = { text: '', isVisible: false, isEnabled: true, isLoaderVisible: false }
  const watchers = new Set<() => void>()
  const clicks = new Set<() => void>()
  return {
    setParams(next) {
      params = { ...params, ...next }
      for (const watcher of watchers) watcher()
    },
    onClick(listener) {
      clicks.add(listener)
      return () => clicks.delete(listener)
    },
    getParams: () => params,
    subscribe(listener) {
      watchers.add(listener)
      return () => watchers.delete(listener)
    },
    press() {
      // Telegram sends no tap while the button is disabled or showing its loader.
      if (!params.isVisible || !params.isEnabled || params.isLoaderVisible) return
      for (const listener of clicks) listener()
    },
  }
}

const barStyle: CSSProperties = {
  position: 'fixed',
  left: 0,
  right: 0,
  bottom: 0,
  padding: '8px 12px 12px',
  background: 'var(--tg-theme-bottom-bar-bg-color, var(--tg-theme-bg-color))',
  borderTop: '1px solid var(--tg-theme-section-separator-color, #0001)',
}

/** Draws MainButton params the way Telegram does. Shared by the stand-in and the mocked-Telegram stories. */
export function MainButtonBar({ params, onPress }: { params: MainButtonParams; onPress: () => void }) {
  if (!params.isVisible) return null
  return (
    <div style={barStyle} data-testid="telegram-main-button-bar">
      <button
        type="button"
        aria-label={`Telegram MainButton: ${params.text}`}
        aria-disabled={!params.isEnabled}
        aria-busy={params.isLoaderVisible}
        onClick={onPress}
        style={{
          width: '100%',
          height: 48,
          border: 0,
          borderRadius: 10,
          font: 'inherit',
          fontWeight: 600,
          background: 'var(--tg-theme-button-color)',
          color: 'var(--tg-theme-button-text-color)',
          opacity: params.isEnabled ? 1 : 0.55,
          cursor: params.isEnabled ? 'pointer' : 'default',
        }}
      >
        {params.isLoaderVisible ? (
          <span className="tma-pay-spinner" style={{ display: 'inline-block', verticalAlign: 'middle' }} />
        ) : (
          params.text
        )}
      </button>
    </div>
  )
}

/** The stand-in MainButton on screen. */
export function MainButtonStandIn({ button }: { button: StandInMainButton }) {
  const params = useSyncExternalStore(button.subscribe, button.getParams, button.getParams)
  return <MainButtonBar params={params} onPress={button.press} />
}

/** Re-renders every `ms` while mounted: for showing state that lives outside React (a mock's records). */
export function useTick(ms: number): void {
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), ms)
    return () => clearInterval(timer)
  }, [ms])
}
