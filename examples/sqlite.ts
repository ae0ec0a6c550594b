/**
 * Quick start on SQLite (better-sqlite3): one file next to your app, no server. Run: npx tsx examples/sqlite.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { DurableExecutor, TASK_EXECUTIONS_MIGRATIONS_TABLE, taskExecutionsMigrationsFolder } from 'durable-execution-drizzle'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable } from 'durable-execution-drizzle/sqlite'

const folder = mkdtempSync(join(tmpdir(), 'durable-sqlite-'))
const client = new Database(join(folder, 'app.sqlite'))
client.pragma('journal_mode = WAL')
const db = drizzle({ client })
migrate(db, {
  migrationsFolder: taskExecutionsMigrationsFolder('sqlite'),
  migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE,
})

const taskExecutions = createSQLiteTaskExecutionsTable()
const executor = await DurableExecutor.make(createSQLiteTaskExecutionsStorage(db, taskExecutions))
const summarize = executor.task({
  id: 'summarize',
  timeoutMs: 10_000,
  run: (_ctx, input: { text: string }) => ({ words: input.text.split(/\s+/).length }),
})

await executor.start()
try {
  const handle = await executor.enqueueTask(summarize, { text: 'durable execution on the database you already run' })
  const finished = await handle.waitAndGetFinishedExecution()
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
  client.close()
  rmSync(folder, { recursive: true, force: true })
}
