import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware'
import { createStore, type Mutate, type StoreApi } from 'zustand/vanilla'

/** A payment handed to Telegram whose outcome the app has not seen yet. Written before the invoice opens. */
export interface PendingPayment {
  orderId: string
  idempotencyKey: string
  invoiceUrl: string
  productId: string
  /** ISO time the payment started. */
  startedAt: string
}

export interface PendingPaymentState {
  pending: PendingPayment | null
  save(pending: PendingPayment): void
  clear(): void
}

export interface PendingPaymentStoreOptions {
  /** Where the pending payment survives a closed or reloaded Mini App. Default: `localStorage` (none during SSR). */
  storage?: StateStorage
  /** Storage key. Default `'tma-pay:pending-payment'`. */
  name?: string
  /** A pending payment older than this is dropped on load, in ms. Default 86400000 (a day). */
  maxAgeMs?: number
}

/** The store; `store.persist.hasHydrated()` / `onFinishHydration()` tell when an async storage was read. */
export type PendingPaymentStore = Mutate<StoreApi<PendingPaymentState>, [['zustand/persist', unknown]]>

const fields = ['orderId', 'idempotencyKey', 'invoiceUrl', 'productId', 'startedAt'] as const

/** Reads what storage held; anything malformed is dropped, never trusted and never a crash. */
function parsePending(value: unknown, maxAgeMs: number): PendingPayment | null {
  const stored = (value ?? {}) as Partial<Record<keyof PendingPayment, unknown>>
  // Non-empty strings only; an unreadable date makes the age NaN, which fails the check too.
  return fields.every((field) => typeof stored[field] === 'string' && stored[field]) &&
    Date.now() - Date.parse(stored.startedAt as string) <= maxAgeMs
    ? (stored as PendingPayment)
    : null
}

// Storage access throws in some WebViews (private mode, disabled storage), and `window` does not exist
// during SSR (a ReferenceError, caught the same way).
const noStorage: StateStorage = { getItem: () => null, setItem: () => {}, removeItem: () => {} }

/** The persisted pending payment (zustand vanilla + `persist`). */
export function createPendingPaymentStore({
  storage,
  name = 'tma-pay:pending-payment',
  maxAgeMs = 86_400_000,
}: PendingPaymentStoreOptions = {}): PendingPaymentStore {
  return createStore<PendingPaymentState>()(
    persist(
      (set) => ({
        pending: null,
        save: (pending) => set({ pending }),
        clear: () => set({ pending: null }),
      }),
      {
        name,
        version: 1,
        storage: createJSONStorage(() => {
          try {
            return storage ?? window.localStorage ?? noStorage
          } catch {
            return noStorage
          }
        }),
        // No `partialize`: storage is always JSON (createJSONStorage), which leaves `save` and `clear` out.
        // Version 1 is the first; an older or unknown version is dropped rather than guessed at.
        migrate: () => ({ pending: null }),
        merge: (persisted, current) => ({
          ...current,
          pending: parsePending((persisted as { pending?: unknown } | null)?.pending, maxAgeMs),
        }),
      },
    ),
  )
}
