/**
 * Quick start on MySQL 8 or MariaDB (mysql2): apply the shipped migrations, run one task, exit.
 * Run: DATABASE_URL=mysql://user@host:3306/db npx tsx examples/mysql.ts
 */
import { drizzle } from 'drizzle-orm/mysql2'
import { migrate } from 'drizzle-orm/mysql2/migrator'
import mysql from 'mysql2/promise'
import { DurableExecutor, TASK_EXECUTIONS_MIGRATIONS_TABLE, taskExecutionsMigrationsFolder } from 'durable-execution-drizzle'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable } from 'durable-execution-drizzle/mysql'

const pool = mysql.createPool({ uri: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test', connectionLimit: 10 })
const db = drizzle({ client: pool })
await migrate(db, {
  migrationsFolder: taskExecutionsMigrationsFolder('mysql'),
  migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE,
})

const taskExecutions = createMySqlTaskExecutionsTable()
const executor = await DurableExecutor.make(createMySqlTaskExecutionsStorage(db, taskExecutions), {
  enableStorageBatching: true,
})
const resizeImage = executor.task({
  id: 'resizeImage',
  timeoutMs: 60_000,
  run: (_ctx, input: { imageId: number; width: number }) => ({ imageId: input.imageId, url: `/images/${input.imageId}-${input.width}.webp` }),
})

await executor.start()
try {
  const handle = await executor.enqueueTask(resizeImage, { imageId: 7, width: 640 })
  const finished = await handle.waitAndGetFinishedExecution()
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
  await pool.end()
}
