/**
 * The job-runner layer beside the executor, on one database opened from a URL: the executor makes
 * the task durable (retries, crash recovery); the repositories hold the domain state. A task may
 * run more than once, so its writes claim an idempotency key named after the execution, inside
 * one transaction. Run: npx tsx examples/job-runner.ts (SQLite file; or set DATABASE_URL)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DurableExecutor } from 'durable-execution-drizzle'
import { createDatabase, openTaskExecutionsStorage, withTransaction } from 'durable-execution-drizzle/jobs'

const folder = mkdtempSync(join(tmpdir(), 'durable-jobs-'))
// ensureTables creates the job tables when missing; in production apply the shipped migrations.
const database = await createDatabase({ url: process.env.DATABASE_URL ?? `sqlite:${join(folder, 'jobs.db')}`, ensureTables: true })
const executor = await DurableExecutor.make(await openTaskExecutionsStorage(database, { ensureTable: true }))

const sendInvoice = executor.task({
  id: 'sendInvoice',
  timeoutMs: 30_000,
  retryOptions: { maxAttempts: 3, baseDelayMs: 500 },
  run: (ctx, input: { customerId: string; amountCents: number }) =>
    withTransaction(database, async (tx) => {
      const { claimed, record } = await tx.idempotencyKeys.claim('sendInvoice', ctx.executionId)
      if (!claimed) return record.result // an earlier run of this execution already did the work
      const result = { invoice: `inv_${input.customerId}_${input.amountCents}` }
      await tx.idempotencyKeys.complete(record, result)
      return result
    }),
})

await executor.start()
try {
  const handle = await executor.enqueueTask(sendInvoice, { customerId: 'c42', amountCents: 9_900 })
  const finished = await handle.waitAndGetFinishedExecution()
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
  await database.close()
  rmSync(folder, { recursive: true, force: true })
}
