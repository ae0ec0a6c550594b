/**
 * Quick start on PGlite: PostgreSQL in-process (WebAssembly), in memory or in a folder.
 * Run: npx tsx examples/pglite.ts
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { DurableExecutor } from 'durable-execution-drizzle'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from 'durable-execution-drizzle/pg'

// The package ships its migrations beside its package.json.
const packageFolder = dirname(createRequire(import.meta.url).resolve('durable-execution-drizzle/package.json'))

const client = new PGlite() // new PGlite('./data') keeps the database in a folder
const db = drizzle({ client })
await migrate(db, {
  migrationsFolder: join(packageFolder, 'drizzle/pg'),
  migrationsTable: '__drizzle_task_executions_migrations',
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
