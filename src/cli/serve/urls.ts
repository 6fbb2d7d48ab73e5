/** An http URL this machine can open for a server bound to `host` (a wildcard address becomes loopback). */
export function localOrigin(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0') return `http://127.0.0.1:${port}`
  if (host === '::') return `http://[::1]:${port}`
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

export const webhookPath = '/telegram/webhook'
