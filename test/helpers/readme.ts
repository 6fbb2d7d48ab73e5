// The code blocks of a Markdown document: what readme.test.ts type-checks and package-install.test.ts runs.

export interface Block {
  document: string
  /** The README line of the block's first line of code. */
  line: number
  language: 'ts' | 'tsx'
  fragment: boolean
  code: string
}

/** The ts and tsx blocks of a Markdown text, with where each starts. */
export function codeBlocks(document: string, text: string): Block[] {
  const blocks: Block[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i] ?? '')
    if (!open) continue
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'))
    if (end < 0) throw new Error(`${document}:${i + 1}: a code block that never closes`)
    const language = open[1]
    if (language === 'ts' || language === 'tsx') {
      blocks.push({
        document,
        line: i + 2,
        language,
        fragment: /\bfragment\b/.test(open[2] ?? ''),
        code: lines.slice(i + 1, end).join('\n'),
      })
    }
    i = end
  }
  return blocks
}

/** The blocks under one `## heading` of a document. */
export function sectionBlocks(document: string, text: string, heading: string): Block[] {
  const start = text.indexOf(`\n## ${heading}\n`)
  if (start < 0) throw new Error(`${document}: no section ${heading}`)
  const end = text.indexOf('\n## ', start + 1)
  const before = text.slice(0, start).split('\n').length
  return codeBlocks(document, text.slice(start, end < 0 ? undefined : end)).map((block) => ({
    ...block,
    line: block.line + before - 1,
  }))
}
