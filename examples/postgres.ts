/**
 * Quick start on PostgreSQL (node-postgres): apply the shipped migrations, run one task, exit.
 * Run: DATABASE_URL=postgres://user@host:5432/db npx tsx examples/postgres.ts
 */
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { DurableExecutor, TASK_EXECUTIONS_MIGRATIONS_TABLE, taskExecutionsMigrationsFolder } from 'durable-execution-drizzle'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from 'durable-execution-drizzle/pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' })
const db = drizzle({ client: pool })
await migrate(db, {
  migrationsFolder: taskExecutionsMigrationsFolder('pg'),
  migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE,
})

const taskExecutions = createPgTaskExecutionsTable()
const executor = await DurableExecutor.make(createPgTaskExecutionsStorage(db, taskExecutions), {
  enableStorageBatching: true,
})
const sendEmail = executor.task({
  id: 'sendEmail',
  timeoutMs: 30_000,
  retryOptions: { maxAttempts: 5, baseDelayMs: 1_000, delayMultiplier: 2 },
  run: (_ctx, input: { to: string }) => ({ sentTo: input.to }),
})

await executor.start()
try {
  const handle = await executor.enqueueTask(sendEmail, { to: 'ada@example.com' })
  const finished = await handle.waitAndGetFinishedExecution()
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
  await pool.end()
}
