/**
 * The layers point down: `src/jobs` imports `src/sql`, `src/core` and `src/common` but nothing
 * above it (the dialect files, `src/database`, the entry points) and no driver, and
 * `createDatabase` is still published by the `/jobs` subpath and the root. ESLint enforces the
 * imports while editing; this test keeps the rule honest.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as root from '../../src/index.js'
import * as jobsSubpath from '../../src/jobs-entry.js'

const SRC = resolve('src')
const ALLOWED_FOLDERS = ['jobs', 'sql', 'core', 'common']
const DRIVERS = /^(pg|mysql2|better-sqlite3|@electric-sql\/pglite|@libsql\/client)(\/|$)|^drizzle-orm\/(node-postgres|mysql2|better-sqlite3|libsql|pglite)(\/|$)/

function sourceFiles(folder: string): Array<string> {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : [],
  )
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)].map((match) => match[1]!)

describe('layering', () => {
  it('src/jobs imports nothing above it and no driver', () => {
    const violations = sourceFiles(join(SRC, 'jobs')).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => {
          if (!specifier.startsWith('.')) return DRIVERS.test(specifier)
          const target = relative(SRC, resolve(dirname(file), specifier))
          return !ALLOWED_FOLDERS.some((folder) => target.startsWith(`${folder}/`))
        })
        .map((specifier) => `${relative(SRC, file)} imports ${specifier}`),
    )
    expect(violations).toEqual([])
  })

  it('publishes createDatabase from the /jobs subpath and the root', () => {
    expect(jobsSubpath.createDatabase).toBeTypeOf('function')
    expect(root.createDatabase).toBe(jobsSubpath.createDatabase)
    expect(jobsSubpath.withTransaction).toBeTypeOf('function')
    expect(jobsSubpath.redactDatabaseUrl).toBe(root.redactDatabaseUrl)
  })
})
