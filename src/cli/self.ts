import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * How the user ran us, for the commands `serve` prints: `tma-pay` when it is on the PATH, `npx tma-pay`
 * from a project's node_modules/.bin, else `node <path to bin/tma-pay.mjs>` (a checkout of this package,
 * where `npx tma-pay` would fetch it from the registry instead).
 */
export function selfCommand(argv1 = process.argv[1] ?? 'tma-pay', cwd = process.cwd()): string {
  if (argv1.includes(`${sep}node_modules${sep}.bin${sep}`)) return 'npx tma-pay'
  if (basename(argv1) === 'tma-pay') return 'tma-pay'
  const path = relative(cwd, argv1) || argv1
  const shown = path.startsWith('..') || path.startsWith(sep) ? argv1 : path
  return `node ${/^[\w./:@+-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`}`
}

/** This package's version, from the package.json above this file (src/cli/ in a checkout, dist/ when built). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 4; depth++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (json.name === 'tma-pay' && json.version) return json.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}
