/**
 * The command line as a user runs it (a child process of the compiled src/cli.ts) against a SQLite file: the
 * overview of a database in a known state, plain and JSON; retention that keeps what unfinished
 * relatives need; migrations applied twice; help on every command; one-line errors.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, jobMigrationsFolder, openTaskExecutionsStorage, taskExecutionsMigrationsFolder } from '../../src/jobs-entry.js'
import { runCli, SEEDED, seedKnownState } from './known-state.js'
import { expectInspectJson, expectInspectText } from './inspect-expectations.js'

const directory = mkdtempSync(join(tmpdir(), 'cli-'))
const url = `sqlite:${join(directory, 'known.db')}`
const names = ['--table', 'cli_te', '--prefix', 'cli_']

/** The execution ids still in the table. */
async function remainingExecutionIds(): Promise<Array<string>> {
  const database = await createDatabase({ url, tablePrefix: 'cli_', loadEnvFile: false })
  try {
    const storage = await openTaskExecutionsStorage(database, { tableName: 'cli_te' })
    const all = [...SEEDED.purgeable, ...SEEDED.kept]
    const found = await storage.getManyById(all.map((executionId) => ({ executionId, filters: {} })))
    return found.filter((value) => value !== undefined).map((value) => value.executionId).sort()
  } finally {
    await database.close()
  }
}

beforeAll(async () => seedKnownState(url, 'cli_te', 'cli_'), 240_000)
afterAll(() => rmSync(directory, { recursive: true, force: true }))

// A child process per command: slow on a loaded machine, so generous limits.
describe('the command line on a SQLite file in a known state', { timeout: 240_000 }, () => {
  it('inspect prints the overview as text and as JSON', async () => {
    const [text, json] = await Promise.all([runCli(['inspect', '--url', url, ...names]), runCli(['inspect', '--url', url, ...names, '--json'])])
    expect(text.code, text.stderr).toBe(0)
    expectInspectText(text.stdout, 'cli_te')
    expect(json.code, json.stderr).toBe(0)
    expectInspectJson(JSON.parse(json.stdout), 'cli_te')
  })

  it('purge --dry-run counts, purge deletes only what no unfinished relative needs', async () => {
    const dryRun = await runCli(['purge', '--url', url, ...names, '--older-than', '7d', '--dry-run', '--json'])
    expect(dryRun.code, dryRun.stderr).toBe(0)
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ dryRun: true, taskExecutions: { executions: SEEDED.purgeable.length }, jobs: { workflows: 2, batches: 0 } })
    expect(await remainingExecutionIds()).toEqual([...SEEDED.purgeable, ...SEEDED.kept].sort())

    // A batch size of 1: several DELETEs, the same end result.
    const purged = await runCli(['purge', '--url', url, ...names, '--older-than', '7d', '--batch-size', '1'])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.stdout).toContain(`deleted ${SEEDED.purgeable.length}`)
    expect(purged.stdout).toContain('deleted 2 workflows')
    expect(await remainingExecutionIds()).toEqual([...SEEDED.kept].sort())

    const inspected = JSON.parse((await runCli(['inspect', '--url', url, ...names, '--json'])).stdout) as { workflows: unknown }
    expect(inspected.workflows).toEqual([{ status: 'running', count: 1 }])
  })
})

describe('migrate on a new SQLite file', { timeout: 240_000 }, () => {
  it('applies the shipped migrations, and a second run changes nothing', async () => {
    const file = join(directory, 'migrated.db')
    const first = await runCli(['migrate', '--url', `sqlite:${file}`, '--json'])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual({
      taskExecutions: { tableName: 'task_executions', method: 'shipped-migrations' },
      jobs: { tablePrefix: '', method: 'shipped-migrations' },
    })
    const recorded = () => {
      const client = new Database(file, { readonly: true })
      try {
        const count = (table: string) => (client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n
        return [count('__drizzle_task_executions_migrations'), count('__drizzle_job_migrations')]
      } finally {
        client.close()
      }
    }
    const afterFirst = recorded()
    const second = await runCli(['migrate', '--url', `sqlite:${file}`])
    expect(second.code, second.stderr).toBe(0)
    expect(recorded()).toEqual(afterFirst)
    expect(afterFirst[0]).toBeGreaterThan(0)
    expect(afterFirst[1]).toBeGreaterThan(0)
  })

  it('refuses, in one line, to migrate a table that ensure…Tables created, saying to keep one path', async () => {
    const file = `sqlite:${join(directory, 'ensured.db')}`
    const database = await createDatabase({ url: file, loadEnvFile: false })
    await openTaskExecutionsStorage(database, { ensureTable: true })
    await database.close()
    const run = await runCli(['migrate', '--url', file])
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('a table exists already')
    expect(run.stderr).toContain('Keep one path')
  })

  it('exports the migrations folders as absolute paths', () => {
    expect(taskExecutionsMigrationsFolder('sqlite')).toBe(join(process.cwd(), 'drizzle', 'sqlite'))
    expect(jobMigrationsFolder('pg')).toBe(join(process.cwd(), 'drizzle', 'jobs', 'pg'))
  })
})

describe('help and errors', { timeout: 240_000 }, () => {
  it('--help works on the program and on every command', async () => {
    const runs = await Promise.all([[], ['migrate'], ['inspect'], ['purge']].map((command) => runCli([...command, '--help'])))
    for (const run of runs) {
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('Usage: durable-execution-drizzle')
    }
    expect(runs[3]!.stdout).toContain('--older-than <age>')
    expect(runs[1]!.stdout).toContain('--url <url>')
  })

  it('prints one line and exits 1 for a bad URL, no URL, a database without the tables and a bad age', async () => {
    const empty = `sqlite:${join(directory, 'empty.db')}`
    const [badUrl, noUrl, noTables, badAge] = await Promise.all([
      runCli(['inspect', '--url', 'postgres//user:s3cret@host/db']),
      runCli(['inspect']),
      runCli(['inspect', '--url', empty]),
      runCli(['purge', '--url', url, ...names, '--older-than', 'a week']),
    ])
    for (const run of [badUrl, noUrl, noTables, badAge]) {
      expect(run.code).toBe(1)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stderr).toMatch(/^error: /)
      expect(run.stderr).not.toContain('    at ')
    }
    expect(badUrl.stderr).toContain('Unsupported database URL')
    expect(badUrl.stderr).not.toContain('s3cret')
    expect(noUrl.stderr).toContain('No database URL: pass --url')
    expect(noTables.stderr).toContain('task_executions does not exist')
    expect(noTables.stderr).toContain('migrate')
    expect(badAge.stderr).toContain('Invalid --older-than "a week"')
  })
})
