/**
 * Quick start on PGlite: PostgreSQL in-process (WebAssembly), in memory or in a folder.
 * Run: npx tsx examples/pglite.ts
 */
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { DurableExecutor, TASK_EXECUTIONS_MIGRATIONS_TABLE, taskExecutionsMigrationsFolder } from 'durable-execution-drizzle'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from 'durable-execution-drizzle/pg'

const client = new PGlite() // new PGlite('./data') keeps the database in a folder
const db = drizzle({ client })
await migrate(db, {
  migrationsFolder: taskExecutionsMigrationsFolder('pg'),
  migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE,
})

const taskExecutions = createPgTaskExecutionsTable()
const executor = await DurableExecutor.make(createPgTaskExecutionsStorage(db, taskExecutions))
const greet = executor.task({
  id: 'greet',
  timeoutMs: 10_000,
  run: (_ctx, input: { name: string }) => `Hello, ${input.name}`,
})

await executor.start()
try {
  const handle = await executor.enqueueTask(greet, { name: 'Grace' })
  const finished = await handle.waitAndGetFinishedExecution()
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
  await client.close()
}
