// The catalog the fake pay client sells by default: the demo shop's products, so stories and tests match the demo.
import type { Product } from '../../core/order'

/** The demo shop's catalog (examples/products.json). */
export const fakeProducts: readonly Product[] = [
  {
    id: 'magic-book',
    title: 'Magic Book',
    description: 'A leather-bound book of 100 spells, unlocked in your library at once.',
    amount: 50,
    kind: 'non-consumable',
  },
  {
    id: 'crystal-pack',
    title: 'Pack of Crystals',
    description: 'Ten shimmering crystals to spend in the shop. Buy up to five packs at a time.',
    amount: 15,
    kind: 'consumable',
    maxQuantity: 5,
  },
  {
    id: 'dragon-skin',
    title: 'Dragon Skin',
    description: 'An emerald dragon skin for your avatar, with its own idle animation.',
    amount: 120,
    kind: 'non-consumable',
  },
  {
    id: 'day-pass',
    title: 'Day pass',
    description: 'A day of every spell in the library. Bought again while it runs, it adds another day.',
    amount: 10,
    kind: 'pass',
    durationSeconds: 86_400,
  },
  {
    id: 'wizard-pass',
    title: 'Wizard Pass',
    description:
      'Monthly pass: a new spell every week and double crystals. Renews every 30 days; cancel any time.',
    amount: 250,
    subscriptionPeriod: 2_592_000,
  },
]
