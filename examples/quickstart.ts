/**
 * Quickstart (`pnpm example`): a durable order workflow on embedded SQLite (better-sqlite3, one file
 * in WAL mode, no server). A parent task reserves stock and charges a card in parallel; the card
 * charge fails once and is retried; a finalize step combines the results. Every state change is a
 * row in the `task_executions` table, so a crashed process would be resumed by the next executor.
 *
 * In this repository, tsconfig.json `paths` map 'durable-execution-drizzle' to the sources, so the
 * examples run without a build and read as an application's code.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { count } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { DurableExecutor, childTask } from 'durable-execution-drizzle'
import {
  createSQLiteTaskExecutionsStorage,
  createSQLiteTaskExecutionsTable,
  ensureSQLiteTaskExecutionsTables,
} from 'durable-execution-drizzle/sqlite'

const directory = mkdtempSync(join(tmpdir(), 'durable-quickstart-'))
const client = new Database(join(directory, 'quickstart.sqlite'))
client.pragma('journal_mode = WAL')
const db = drizzle({ client })

// Your schema exports this table; drizzle-kit or the shipped migrations create it. The example
// creates it directly.
const taskExecutions = createSQLiteTaskExecutionsTable()
await ensureSQLiteTaskExecutionsTables(db, [taskExecutions])

const storage = createSQLiteTaskExecutionsStorage(db, taskExecutions)
// Short background intervals keep the example quick; the defaults suit production.
const executor = await DurableExecutor.make(storage, { backgroundProcessIntraBatchSleepMs: 50 })

const reserveStock = executor.task({
  id: 'reserveStock',
  timeoutMs: 5_000,
  run: (_ctx, input: { orderId: string; items: Array<string> }) => ({
    reservationId: `res_${input.orderId}`,
    items: input.items.length,
  }),
})

const chargeCard = executor.task({
  id: 'chargeCard',
  timeoutMs: 5_000,
  retryOptions: { maxAttempts: 3, baseDelayMs: 100 },
  run: (ctx, input: { orderId: string; amountCents: number }) => {
    // A flaky payment gateway: the first attempt fails, the retry succeeds.
    if (ctx.attempt === 0) {
      throw new Error('Payment gateway timed out')
    }
    console.log(`charged ${input.amountCents} cents for ${input.orderId} on attempt ${ctx.attempt + 1}`)
    return { paymentId: `pay_${input.orderId}` }
  },
})

const processOrder = executor.parentTask({
  id: 'processOrder',
  timeoutMs: 5_000,
  runParent: (_ctx, input: { orderId: string; items: Array<string>; amountCents: number }) => ({
    output: { orderId: input.orderId },
    children: [
      childTask(reserveStock, { orderId: input.orderId, items: input.items }),
      childTask(chargeCard, { orderId: input.orderId, amountCents: input.amountCents }),
    ],
  }),
  finalize: ({ output, children }) => {
    const notCompleted = children.filter((child) => child.status !== 'completed')
    if (notCompleted.length > 0) {
      throw new Error(`Order ${output.orderId} failed in ${notCompleted.map((child) => child.taskId).join(', ')}`)
    }
    return { orderId: output.orderId, steps: children.map((child) => child.taskId) }
  },
})

await executor.start()
try {
  const handle = await executor.enqueueTask(processOrder, {
    orderId: 'order_1',
    items: ['book', 'lamp'],
    amountCents: 4_200,
  })
  const execution = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })
  if (execution.status !== 'completed') {
    throw new Error(`processOrder ended ${execution.status}: ${execution.error.message}`)
  }
  console.log(`processOrder ${execution.executionId} completed:`, execution.output)
  const [rows] = await db.select({ executions: count() }).from(taskExecutions)
  console.log(`${rows?.executions ?? 0} executions stored in the SQLite file (a temporary one, removed on exit)`)
} finally {
  await executor.shutdown()
  client.close()
  rmSync(directory, { recursive: true, force: true })
}
