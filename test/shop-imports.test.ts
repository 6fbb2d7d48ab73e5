// The demo shop is built the way a user builds a Mini App: through the package's public entry points only.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const shopSrc = fileURLToPath(new URL('../examples/shop/src', import.meta.url))
const allowed =
  /^(tma-pay(\/live|\/react|\/react\/locales|\/react\/subscriptions|\/testing\/browser)?|react|react-dom\/client|@tanstack\/react-query|@tma\.js\/sdk|\.\/[\w-]+(\.css)?)$/

it('imports only tma-pay, tma-pay/react (its locales and subscriptions), tma-pay/testing/browser, its peers and its own files', () => {
  const files = readdirSync(shopSrc).filter((name) => /\.tsx?$/.test(name))
  expect(files.length).toBeGreaterThan(5)
  const specifiers = files.flatMap((name) =>
    [
      ...readFileSync(join(shopSrc, name), 'utf8').matchAll(
        /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g,
      ),
    ].map((match) => ({ file: name, specifier: match[1]! })),
  )
  expect(specifiers.map((s) => s.specifier)).toContain('tma-pay/react')
  expect(specifiers.filter((s) => !allowed.test(s.specifier))).toEqual([])
})
