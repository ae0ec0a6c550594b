/**
 * `createDatabase` end to end, once per backend: open from a URL, create the tables, run one
 * repository call, close; file databases keep their rows for the next open.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDatabase, jobTablesInCreationOrder, type JobDatabase } from '../../src/jobs-entry.js'
import { uniqueTablePrefix } from '../../src/testing/job-store-suite/harness.js'
import { reachableServer } from './backends.js'

async function createAndFindWorkflow(database: JobDatabase): Promise<number> {
  const workflow = await database.workflows.create({ name: 'from a URL', input: { n: 1 } })
  expect(await database.workflows.findById(workflow.id)).toMatchObject({ name: 'from a URL', status: 'pending', input: { n: 1 } })
  return workflow.id
}

async function dropTables(database: JobDatabase): Promise<void> {
  for (const table of jobTablesInCreationOrder(database.tables).reverse()) {
    await database.session.executeStatement(sql`drop table if exists ${table}`)
  }
}

describe('createDatabase on local files', () => {
  it.each([
    ['a SQLite file (better-sqlite3)', 'file', 'better-sqlite3', 'SQLite'],
    ['a SQLite file (libsql)', 'libsql', 'libsql', 'SQLite'],
    ['a PGlite directory', 'pglite', 'pglite', 'PostgreSQL'],
  ] as const)('opens %s, runs a repository call and finds the row again after reopening', async (_name, scheme, driver, dialectName) => {
    const directory = mkdtempSync(join(tmpdir(), 'jobs-url-'))
    const url = scheme === 'pglite' ? `pglite:${join(directory, 'pgdata')}` : `${scheme}:${join(directory, 'jobs.db')}`
    try {
      const first = await createDatabase({ url, ensureTables: true, loadEnvFile: false })
      expect(first.driver).toBe(driver)
      expect(first.dialectName).toBe(dialectName)
      const id = await createAndFindWorkflow(first)
      await first.close()
      const second = await createDatabase({ url, loadEnvFile: false })
      expect((await second.workflows.findById(id))?.name).toBe('from a URL')
      await second.close()
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it('opens an in-memory PGlite from pglite:', async () => {
    const database = await createDatabase({ url: 'pglite:', ensureTables: true, loadEnvFile: false })
    expect(database.driver).toBe('pglite')
    await createAndFindWorkflow(database)
    await database.close()
  })
})

for (const [envName, fallback] of [
  ['PG_URL', 'postgres://postgres@127.0.0.1:5432/test'],
  ['MYSQL_URL', 'mysql://root@127.0.0.1:3306/test'],
] as const) {
  const url = await reachableServer(envName, fallback)
  if (url !== undefined) {
    it(`createDatabase opens ${envName} (${url.split(':')[0]}), runs a repository call and closes`, async () => {
      const database = await createDatabase({ url, tablePrefix: uniqueTablePrefix(), maxClients: 2, ensureTables: true, loadEnvFile: false })
      try {
        expect(database.driver).toBe(envName === 'PG_URL' ? 'node-postgres' : 'mysql2')
        await createAndFindWorkflow(database)
      } finally {
        await dropTables(database)
        await database.close()
      }
    })
  }
}
