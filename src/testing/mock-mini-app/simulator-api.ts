// The few calls mockMiniApp makes to the Telegram simulator's control API (/sim/, CORS-enabled).

/** What `GET /sim/invoices/:slug` tells about an invoice made by createInvoiceLink. */
export interface SimulatorInvoice {
  slug: string
  title: string
  description: string
  currency: string
  totalAmount: number
  photoUrl?: string
}

/** How a simulated payment went: `paid`, `refused` at pre-checkout, `cancelled`, or `no_answer` from the bot. */
export type SimulatorPayOutcome = 'paid' | 'refused' | 'cancelled' | 'no_answer'

async function call<T>(simulatorUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${simulatorUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok)
    throw new Error(`Telegram simulator: ${method} ${path} answered ${response.status}: ${text}`)
  return JSON.parse(text) as T
}

export const simulatorApi = (simulatorUrl: string) => ({
  initData: (body: { userId: number; firstName?: string; languageCode?: string }) =>
    call<{ initData: string }>(simulatorUrl, 'POST', '/sim/init-data', body).then(
      (answer) => answer.initData,
    ),
  invoice: (slug: string) =>
    call<SimulatorInvoice>(simulatorUrl, 'GET', `/sim/invoices/${encodeURIComponent(slug)}`),
  pay: (body: { slug: string; userId: number; outcome: 'paid' | 'cancelled'; firstName?: string }) =>
    call<{ outcome: SimulatorPayOutcome }>(simulatorUrl, 'POST', '/sim/pay', body).then(
      (answer) => answer.outcome,
    ),
})

export type SimulatorApi = ReturnType<typeof simulatorApi>
