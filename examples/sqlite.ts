/**
 * Quick start on SQLite (better-sqlite3): one file next to your app, no server. Run: npx tsx examples/sqlite.ts
 */
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { DurableExecutor } from 'durable-execution-drizzle'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable } from 'durable-execution-drizzle/sqlite'

// The package ships its migrations beside its package.json.
const packageFolder = dirname(createRequire(import.meta.url).resolve('durable-execution-drizzle/package.json'))

const folder = mkdtempSync(join(tmpdir(), 'durable-sqlite-'))
const client = new Database(join(folder, 'app.sqlite'))
client.pragma('journal_mode = WAL')
const db = drizzle({ client })
migrate(db, {
  migrationsFolder: join(packageFolder, 'drizzle/sqlite'),
  migrationsTable: '__drizzle_task_executions_migrations',
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
