/**
 * A URL fit for logs and banners: a password becomes `***` (in http(s) a lone user name too, as that is
 * how tokens ride in such URLs), a query string `?***`, and any fragment goes. Secrets travel in all of
 * them (`?token=`, `postgres://user:pass@`, `?password=`), and logs are read by more people than the config.
 */
export function redactUrl(input: string | URL): string {
  let url: URL
  try {
    url = new URL(String(input))
  } catch {
    // Unparsable text may still hold a secret: show none of it.
    return '<not a URL>'
  }
  if (url.password) url.password = '***'
  else if (url.username && /^https?:$/.test(url.protocol)) url.username = '***'
  if (url.search) url.search = '?***'
  url.hash = ''
  return url.toString()
}
