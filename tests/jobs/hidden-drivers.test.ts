/**
 * Importing the package needs no driver: in a child process where module resolution hides every
 * driver but one, the package's modules import, `createDatabase` opens the allowed driver, and a
 * URL for a hidden driver fails naming the missing package and how to install it.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

type ChildReport = {
  readonly hiddenProbe: string
  readonly modules: ReadonlyArray<readonly [string, number]>
  readonly found: string | undefined
  readonly errors: Record<string, string>
}

async function runWithOnlyDriver(allowed: string): Promise<ChildReport> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--import', './tests/jobs/fixtures/hide-drivers.mjs', 'tests/jobs/fixtures/hidden-drivers-child.ts'],
    { cwd: process.cwd(), env: { ...process.env, ALLOWED_DRIVER: allowed }, timeout: 90_000 },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport
}

const PACKAGES_OF_URLS: Record<string, string> = {
  'postgres://app:hunter2@127.0.0.1:5432/test': 'pg',
  'mariadb://app:hunter2@127.0.0.1:3306/test': 'mysql2',
  'libsql:/tmp/never-created.db': '@libsql/client',
  'pglite:': '@electric-sql/pglite',
  ':memory:': 'better-sqlite3',
}

describe('the package with every driver hidden but one', () => {
  it.each(['better-sqlite3', '@electric-sql/pglite'])('imports and opens a database with only %s installed', async (allowed) => {
    const report = await runWithOnlyDriver(allowed)
    expect(report.hiddenProbe).toMatch(/^Cannot find package '(pg|mysql2)'/)
    for (const [path, exportCount] of report.modules) expect(exportCount, path).toBeGreaterThan(0)
    expect(report.found).toBe('with one driver')
    expect(Object.keys(report.errors)).toHaveLength(4)
    for (const [url, message] of Object.entries(report.errors)) {
      const packageName = PACKAGES_OF_URLS[url]!
      expect(packageName).not.toBe(allowed)
      expect(message).toContain(`its driver package ${packageName} is not installed`)
      expect(message).toContain(`npm install ${packageName}`)
      expect(message).not.toContain('hunter2')
    }
  }, 120_000)
})
