#!/usr/bin/env node
// The declarations of `npm run build`: tsc emits dist/**/*.d.ts, then every relative specifier in them gets
// the extension Node's ESM resolution needs. Our sources import `./order`, which bundlers and
// `moduleResolution: bundler` accept; a server project on `module: NodeNext` rejects `./order` in a .d.ts
// (TS2834) and would see tma-pay/server untyped. `./order` becomes `./order.js`, a folder `./x/index.js`.
//
//   node scripts/build-types.mjs          # what `npm run build` runs after vite
//   node scripts/build-types.mjs DIR      # into DIR instead of dist/ (a test's own build, beside vite --outDir)
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist')

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist],
  {
    cwd: root,
    stdio: 'inherit',
  },
)

function declarationFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return declarationFiles(path)
    return name.endsWith('.d.ts') ? [path] : []
  })
}

// `from './x'`, `import('./x')` and `import './x'`: the specifiers a declaration file can hold.
const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g

let rewritten = 0
for (const file of declarationFiles(dist)) {
  const text = readFileSync(file, 'utf8')
  const fixed = text.replace(specifier, (match, lead, quote, path) => {
    if (/\.(c|m)?js$/.test(path)) return match
    const target = resolve(dirname(file), path)
    const withExtension = existsSync(`${target}.d.ts`)
      ? `${path}.js`
      : existsSync(join(target, 'index.d.ts'))
        ? `${path}/index.js`
        : undefined
    if (!withExtension) throw new Error(`${file}: no declaration for ${path}`)
    rewritten++
    return `${lead}${quote}${withExtension}${quote}`
  })
  if (fixed !== text) writeFileSync(file, fixed)
}
console.log(
  `build-types: declarations in ${dist}, ${rewritten} relative specifiers given their .js extension`,
)
