// The README's code compiles: every ```ts and ```tsx block of README.md and examples/shop/README.md is a module
// of its own, type-checked with the repo's tsconfig (tma-pay's entries resolve to the sources through its
// `paths`, the frameworks to the devDependencies). A block that is a fragment on purpose says so in its fence
// (```ts fragment) and is skipped; every other block must be complete, imports and all.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type Block, codeBlocks } from './helpers/readme'

const root = fileURLToPath(new URL('..', import.meta.url))
const documents = ['README.md', 'examples/shop/README.md']

const blocks = documents.flatMap((document) =>
  codeBlocks(document, readFileSync(join(root, document), 'utf8')),
)

describe('the README code', () => {
  mkdirSync(join(root, 'test-results'), { recursive: true })
  const dir = mkdtempSync(join(root, 'test-results/readme-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('has blocks to check, and few fragments', () => {
    const complete = blocks.filter((block) => !block.fragment)
    expect(complete.length).toBeGreaterThanOrEqual(12)
    // Fragments are not checked: keep them the exception.
    expect(blocks.length - complete.length).toBeLessThanOrEqual(6)
  })

  it('type-checks every block that is not marked fragment', () => {
    const files = new Map<string, Block>()
    for (const block of blocks) {
      if (block.fragment) continue
      const name = `${block.document.replaceAll('/', '_')}-${block.line}.${block.language}`
      // `export {}` makes a block without imports a module too, so blocks never share top-level names.
      writeFileSync(join(dir, name), `${block.code}\nexport {}\n`)
      files.set(name, block)
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: relative(dir, join(root, 'tsconfig.json')),
        compilerOptions: { noEmit: true, types: ['node'] },
        files: [...files.keys()],
        include: [],
      }),
    )
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--pretty', 'false'],
      { cwd: dir, encoding: 'utf8' },
    )
    // Each error as the README line it is on: `README.md:52: error TS2304: Cannot find name 'unlock'.`
    const errors = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const at = /^(.+?)\((\d+),\d+\): (.*)$/.exec(line)
        const block = at && files.get(at[1] ?? '')
        return block && at ? `${block.document}:${block.line + Number(at[2]) - 1}: ${at[3]}` : line
      })
    expect(errors).toEqual([])
    expect(result.status).toBe(0)
  }, 120_000)
})
