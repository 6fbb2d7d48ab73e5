import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The one product every bench payment buys, from both servers. */
export const benchProduct = {
  id: 'bench-item',
  title: 'Bench item',
  description: 'One of many, bought by the server bench.',
  amount: 25,
}

/** The products file `tma-pay serve --products` reads, written to `dir` (a temp dir, never the repo). */
export function writeProductsFile(dir: string): string {
  const file = join(dir, 'products.json')
  writeFileSync(file, JSON.stringify([benchProduct], null, 2))
  return file
}
