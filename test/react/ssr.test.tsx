// Server rendering (Next.js, Remix...): no DOM here, so any touch of `window`, `document` or storage
// during render would throw a ReferenceError. Node environment on purpose: no happy-dom.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { renderToString } from 'react-dom/server'
import { createPayClient } from 'tma-pay'
import { PayButton, PayProvider } from 'tma-pay/react'
import { ruLabels } from 'tma-pay/react/locales'
import { describe, expect, it, vi } from 'vitest'

describe('server rendering', () => {
  it('renders a page with PayProvider and PayButton without touching window, storage or the network', () => {
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')
    const errors = vi.spyOn(console, 'error')
    const fetch = vi.fn<typeof globalThis.fetch>()
    const client = createPayClient({ baseUrl: 'https://shop.example/api/pay', fetch })
    const html = renderToString(
      <QueryClientProvider client={new QueryClient()}>
        <PayProvider client={client} language="ru" translations={{ ru: ruLabels }}>
          <main>
            <PayButton product={{ id: 'magic-book', amount: 50 }} />
            <PayButton productId="gem" />
            <PayButton productId="gem" variant="main-button" />
          </main>
        </PayProvider>
      </QueryClientProvider>,
    )
    expect(html).toContain(
      '<button type="button" class="tma-pay-button" aria-busy="false" data-status="idle">Оплатить ⭐ 50</button>',
    )
    // Without a product the catalog is fetched in the browser; the server renders the label alone.
    expect(html).toContain('data-status="idle">Оплатить</button>')
    expect(html.match(/<button/g)).toHaveLength(2)
    expect(html.match(/role="status"/g)).toHaveLength(3)
    // The styles come along, once, whatever the number of buttons.
    expect(html.match(/@keyframes tma-pay-spin/g)).toHaveLength(1)
    expect(html.match(/<style/g)).toHaveLength(1)
    expect(fetch).not.toHaveBeenCalled()
    expect(errors).not.toHaveBeenCalled()
  })
})
