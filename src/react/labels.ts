'use client'

/** What PayButton says in each state. Override any of them with the `labels` prop. */
export interface PayLabels {
  /** The button before paying; `{price}` becomes the price, e.g. 'Pay ⭐ 50'. */
  pay: string
  creating: string
  awaitingPayment: string
  confirming: string
  paid: string
  cancelled: string
  failed: string
  expired: string
  /** The button after a cancelled, failed or expired payment. */
  retry: string
  /** The button of a non-consumable the user owns: it does not pay again. */
  owned: string
  /** The button of a pass that still runs; `{price}` as in `pay`, e.g. 'Extend ⭐ 10'. */
  extend: string
}

/** English: PayButton's own labels. */
export const enLabels: PayLabels = {
  pay: 'Pay {price}',
  creating: 'Creating order…',
  awaitingPayment: 'Waiting for payment…',
  confirming: 'Confirming payment…',
  paid: 'Paid',
  cancelled: 'Payment cancelled',
  failed: 'Payment failed',
  expired: 'Payment expired',
  retry: 'Try again',
  owned: 'Owned',
  extend: 'Extend {price}',
}

/** Labels in other languages than English, by language code: `{ ru: ruLabels }`. */
export type PayTranslations = Record<string, Partial<PayLabels>>

/**
 * The labels for a language code ('ru', 'zh-hans', 'en-US'...) from `translations` (by its first two letters),
 * over English, which stands in for whatever a translation leaves out.
 */
export function labelsFor(language: string | undefined, translations: PayTranslations = {}): PayLabels {
  return { ...enLabels, ...translations[language?.slice(0, 2).toLowerCase() ?? ''] }
}

/** A price as PayButton shows it: '⭐ 50' for Telegram Stars, the local currency format otherwise. */
export function formatPrice(amount: number, currency = 'XTR', language = 'en'): string {
  if (currency === 'XTR') return `⭐ ${amount}`
  const format = new Intl.NumberFormat(language, { style: 'currency', currency })
  // Amounts are in minor units (cents), as Telegram sends them.
  // A currency format always resolves its fraction digits (ECMA-402), though the type says it may not.
  return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits!)
}
