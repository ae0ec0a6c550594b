/**
 * README.md's code is code the tests run: every TypeScript or JavaScript block starts with a line
 * `// examples/<file>.ts` naming an example in the catalog (so examples.test.ts runs it), and the
 * rest of the block appears verbatim, as whole consecutive lines, in that file. Also: the catalog
 * lists exactly the folder, and the README's two first commands are the ones `.ci/run` runs.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EXAMPLES } from './catalog.js'

const README = readFileSync('README.md', 'utf8')

/** The fenced blocks of a Markdown text: language tag, first line number, lines. */
function fencedBlocks(markdown: string): Array<{ language: string; line: number; lines: Array<string> }> {
  const blocks: Array<{ language: string; line: number; lines: Array<string> }> = []
  let open: { language: string; line: number; lines: Array<string> } | undefined
  markdown.split('\n').forEach((text, index) => {
    const fence = /^```(\S*)\s*$/.exec(text)
    if (open === undefined && fence) open = { language: fence[1] ?? '', line: index + 1, lines: [] }
    else if (open !== undefined && text.startsWith('```')) {
      blocks.push(open)
      open = undefined
    } else open?.lines.push(text)
  })
  if (open !== undefined) throw new Error(`README.md line ${open.line}: a code block is never closed`)
  return blocks
}

/** True when `excerpt` is a run of whole consecutive lines of `lines`. */
function containsLines(lines: Array<string>, excerpt: Array<string>): boolean {
  for (let start = 0; start + excerpt.length <= lines.length; start++) {
    if (excerpt.every((line, offset) => lines[start + offset] === line)) return true
  }
  return false
}

const CODE_LANGUAGES = new Set(['ts', 'typescript', 'tsx', 'js', 'javascript', 'mjs', 'cjs'])
const codeBlocks = fencedBlocks(README).filter((block) => CODE_LANGUAGES.has(block.language))

describe('README.md code blocks', () => {
  it('has code blocks to check', () => {
    expect(codeBlocks.length).toBeGreaterThan(0)
  })

  for (const block of codeBlocks) {
    it(`the block at line ${block.line} is a marked excerpt of an example the tests run`, () => {
      const marker = /^\/\/ examples\/([\w.-]+\.ts)$/.exec(block.lines[0] ?? '')
      expect(marker, `README.md line ${block.line + 1} must be "// examples/<file>.ts"`).not.toBeNull()
      const file = marker?.[1] ?? ''
      expect(EXAMPLES.map((example) => example.file), `examples/${file} must be in tests/examples/catalog.ts`).toContain(file)
      const excerpt = block.lines.slice(1)
      expect(excerpt.some((line) => line.trim() !== ''), 'the excerpt is empty').toBe(true)
      const source = readFileSync(`examples/${file}`, 'utf8').split('\n')
      expect(containsLines(source, excerpt), `README.md lines ${block.line + 2}-${block.line + block.lines.length} differ from examples/${file}`).toBe(true)
    })
  }
})

describe('the examples catalog and the README commands', () => {
  it('lists every file of examples/ and nothing else', () => {
    const files = readdirSync('examples').filter((name) => name.endsWith('.ts'))
    expect([...EXAMPLES.map((example) => example.file)].sort()).toEqual(files.sort())
  })

  it('gives first the demo command, then the test command that .ci/run runs', () => {
    const ciTestCommand = /step "README test command: (.+)"/.exec(readFileSync('.ci/run', 'utf8'))?.[1]
    expect(ciTestCommand).toBeDefined()
    const shellBlocks = fencedBlocks(README).filter((block) => block.language === 'sh')
    expect(shellBlocks.slice(0, 2).map((block) => block.lines.join('\n'))).toEqual([
      'npx -y pnpm@10 install && npx -y pnpm@10 demo',
      ciTestCommand,
    ])
  })

  it('never tells a newcomer to run a bare `pnpm test` (no global pnpm on a fresh machine)', () => {
    expect(README.match(/\bpnpm test\b/g) ?? []).toEqual([])
  })
})
