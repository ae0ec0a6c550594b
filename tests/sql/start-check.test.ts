/**
 * `DurableExecutor.start()` fails fast on a SQL storage whose table is missing or lacks columns:
 * one exported error naming the table, the missing columns and how to create them, before any
 * background loop runs; once the table is fixed, a later start() works.
 */
import { sql, type SQL } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { TaskExecutionsTableMissingError } from '../../src/common/index.js'
import { DurableExecutor } from '../../src/core/index.js'
import { oneBackendPerDialect } from './available-backends.js'
import { uniqueTableName } from './backends.js'

/** Runs one statement on a drizzle database of any dialect. */
async function execute(db: unknown, statement: SQL): Promise<void> {
  const handle = db as { execute?: (query: SQL) => Promise<unknown>; run?: (query: SQL) => unknown }
  await (handle.execute ? handle.execute(statement) : handle.run!(statement))
}

const backends = await oneBackendPerDialect()

describe.each(backends.map((backend) => [backend.name, backend] as const))('start() on %s', (_name, backend) => {
  it('rejects with TaskExecutionsTableMissingError when the table is missing, and starts once it is back', async () => {
    const tableName = uniqueTableName('start_missing')
    const opened = await backend.open(tableName)
    const rename = (from: string, to: string) => execute(opened.db, sql`alter table ${sql.identifier(from)} rename to ${sql.identifier(to)}`)
    await rename(tableName, `${tableName}_x`)
    const executor = await DurableExecutor.make(opened.storage, { logLevel: 'error' })
    try {
      const failure = await executor.start().then(() => undefined, (error: unknown) => error)
      expect(failure).toBeInstanceOf(TaskExecutionsTableMissingError)
      const error = failure as TaskExecutionsTableMissingError
      expect(error.tableName).toBe(tableName)
      expect(error.missingColumns).toEqual([])
      expect(error.message).toContain(`${tableName} does not exist`)
      expect(error.message).toContain(`migrate --url <url> --table ${tableName}`)
      expect(error.message).toMatch(/ensure(Pg|MySql|SQLite)TaskExecutionsTables/)
      expect(error.isRetryable).toBe(false)
      // Nothing started: the same executor starts once the table is there.
      await rename(`${tableName}_x`, tableName)
      await executor.start()
      const task = executor.task({ id: 'after_fix', timeoutMs: 5_000, run: () => 'ran' })
      const handle = await executor.enqueueTask(task)
      expect((await handle.waitAndGetFinishedExecution()).status).toBe('completed')
    } finally {
      await executor.shutdown()
      await opened.close()
    }
  })

  it('names the missing columns of an older table', async () => {
    const tableName = uniqueTableName('start_columns')
    const opened = await backend.open(tableName)
    try {
      for (const column of ['lease_token', 'expiry_count']) {
        await execute(opened.db, sql`alter table ${sql.identifier(tableName)} drop column ${sql.identifier(column)}`)
      }
      const executor = await DurableExecutor.make(opened.storage, { logLevel: 'error' })
      const failure = await executor.start().then(() => undefined, (error: unknown) => error)
      await executor.shutdown()
      expect(failure).toBeInstanceOf(TaskExecutionsTableMissingError)
      expect((failure as TaskExecutionsTableMissingError).missingColumns).toEqual(['lease_token', 'expiry_count'])
      expect((failure as Error).message).toContain(`${tableName} lacks the columns lease_token, expiry_count`)
    } finally {
      await opened.close()
    }
  })
})
