/**
 * The command line against the PostgreSQL and MariaDB servers: the known state on tables named
 * for this run (inspect plain and JSON, purge), the shipped migrations applied twice in a
 * database of their own, and the one-line error of an unreachable server.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, jobTablesInCreationOrder, openTaskExecutionsStorage } from '../../src/jobs-entry.js'
import { reachableServer } from '../jobs/backends.js'
import { uniqueTableName } from '../sql/backends.js'
import { expectInspectJson, expectInspectText } from './inspect-expectations.js'
import { runCli, SEEDED, seedKnownState } from './known-state.js'

const servers = [
  ['PostgreSQL', await reachableServer('PG_URL', 'postgres://postgres@127.0.0.1:5432/test'), 'postgres://postgres@127.0.0.1:1/test'],
  ['MariaDB', await reachableServer('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test'), 'mysql://root@127.0.0.1:1/test'],
] as const

/** The server URL pointing at another database. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

for (const [serverName, url, unreachableUrl] of servers) {
  if (url === undefined) continue
  // DDL on a loaded server (MariaDB commits each statement to disk) and a child process per command.
  describe(`the command line on ${serverName}`, { timeout: 240_000 }, () => {
    const table = uniqueTableName('cli_te')
    const prefix = `${uniqueTableName('cli')}_`
    const names = ['--table', table, '--prefix', prefix]

    beforeAll(async () => seedKnownState(url, table, prefix), 240_000)
    afterAll(async () => {
      const database = await createDatabase({ url, tablePrefix: prefix, loadEnvFile: false })
      try {
        // Children before parents (foreign keys).
        for (const jobTable of [...jobTablesInCreationOrder(database.tables)].reverse()) await database.session.executeStatement(sql`drop table if exists ${jobTable}`)
        await database.session.executeStatement(sql`drop table if exists ${sql.identifier(table)}`)
      } finally {
        await database.close()
      }
    })

    it('inspect shows the known state as text and JSON; purge keeps what unfinished relatives need', async () => {
      const [text, json] = await Promise.all([runCli(['inspect', '--url', url, ...names]), runCli(['inspect', '--url', url, ...names, '--json'])])
      expect(text.code, text.stderr).toBe(0)
      expectInspectText(text.stdout, table)
      expect(json.code, json.stderr).toBe(0)
      expectInspectJson(JSON.parse(json.stdout), table)

      const purged = await runCli(['purge', '--url', url, ...names, '--older-than', '7d', '--batch-size', '2', '--json'])
      expect(purged.code, purged.stderr).toBe(0)
      expect(JSON.parse(purged.stdout)).toMatchObject({ dryRun: false, taskExecutions: { executions: SEEDED.purgeable.length }, jobs: { workflows: 2, batches: 0 } })
      const database = await createDatabase({ url, tablePrefix: prefix, loadEnvFile: false })
      try {
        const storage = await openTaskExecutionsStorage(database, { tableName: table })
        const all = [...SEEDED.purgeable, ...SEEDED.kept]
        const found = await storage.getManyById(all.map((executionId) => ({ executionId, filters: {} })))
        expect(found.filter((value) => value !== undefined).map((value) => value.executionId).sort()).toEqual([...SEEDED.kept].sort())
      } finally {
        await database.close()
      }
    })

    it('migrate applies the shipped migrations in a new database, and a second run changes nothing', async () => {
      const scratch = `de_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
      const admin = await createDatabase({ url, loadEnvFile: false })
      await admin.session.executeStatement(sql`create database ${sql.identifier(scratch)}`)
      const scratchUrl = withDatabase(url, scratch)
      try {
        const first = await runCli(['migrate', '--url', scratchUrl, '--json'])
        expect(first.code, first.stderr).toBe(0)
        expect(JSON.parse(first.stdout)).toMatchObject({ taskExecutions: { method: 'shipped-migrations' }, jobs: { method: 'shipped-migrations' } })
        // The shipped CREATE TABLE has no IF NOT EXISTS: a second run succeeds only if it applies nothing.
        const second = await runCli(['migrate', '--url', scratchUrl])
        expect(second.code, second.stderr).toBe(0)
        const inspected = await runCli(['inspect', '--url', scratchUrl, '--json'])
        expect(inspected.code, inspected.stderr).toBe(0)
        expect(JSON.parse(inspected.stdout)).toMatchObject({ taskExecutions: { byStatusAndTaskId: [] }, workflows: [] })
      } finally {
        await admin.session.executeStatement(sql`drop database if exists ${sql.identifier(scratch)}`)
        await admin.close()
      }
    })

    it('an unreachable server is one line naming the URL, with exit code 1', async () => {
      const run = await runCli(['inspect', '--url', unreachableUrl])
      expect(run.code).toBe(1)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stderr).toContain(`error: Cannot reach the ${serverName === 'MariaDB' ? 'MySQL' : 'PostgreSQL'} database at ${unreachableUrl}`)
    })
  })
}
