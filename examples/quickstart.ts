/**
 * Quickstart (`pnpm example`): a durable order workflow on the in-memory storage. A parent task
 * reserves stock and charges a card in parallel; the card charge fails once and is retried; a
 * finalize step combines the results. With a SQL storage instead of the in-memory one, every step
 * survives a crash of the process.
 *
 * Applications import from 'durable-execution-drizzle'; the example imports the sources so that it
 * runs without a build.
 */
import { DurableExecutor, InMemoryTaskExecutionsStorage, childTask } from '../src/index.js'

const storage = new InMemoryTaskExecutionsStorage()
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
} finally {
  await executor.shutdown()
}
