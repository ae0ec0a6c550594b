/**
 * The task kinds, each enqueued once: a plain task with retries, a parent with parallel children
 * and a finalize step, a sequence, a sleeping task woken from outside, and a looping task. The
 * in-memory storage keeps the example self-contained; every SQL storage works the same way.
 * Run: npx tsx examples/task-kinds.ts
 */
import { childTask, DurableExecutor, InMemoryTaskExecutionsStorage } from 'durable-execution-drizzle'

const executor = await DurableExecutor.make(new InMemoryTaskExecutionsStorage(), { logLevel: 'error' })

// A plain task: runs, may throw; retried with backoff while attempts remain.
const fetchRate = executor.task({
  id: 'fetchRate',
  timeoutMs: 5_000,
  retryOptions: { maxAttempts: 3, baseDelayMs: 100, delayMultiplier: 2 },
  run: (ctx, input: { currency: string }) => {
    if (ctx.attempt === 0) throw new Error('rate service busy') // the retry succeeds
    return { currency: input.currency, rate: 1.08 }
  },
})

// A parent: spawns children that run in parallel, then its finalize step sees all their results.
const fetchRates = executor.parentTask({
  id: 'fetchRates',
  timeoutMs: 5_000,
  runParent: (_ctx, input: { currencies: Array<string> }) => ({
    output: { requested: input.currencies.length },
    children: input.currencies.map((currency) => childTask(fetchRate, { currency })),
  }),
  finalize: ({ output, children }) => ({
    requested: output.requested,
    completed: children.filter((child) => child.status === 'completed').length,
  }),
})

// A sequence: each task's output is the next one's input.
const parseOrder = executor.task({
  id: 'parseOrder',
  timeoutMs: 5_000,
  run: (_ctx, input: string) => ({ items: input.split(',') }),
})
const priceOrder = executor.task({
  id: 'priceOrder',
  timeoutMs: 5_000,
  run: (_ctx, input: { items: Array<string> }) => ({ totalCents: input.items.length * 500 }),
})
const checkout = executor.sequentialTasks('checkout', [parseOrder, priceOrder])

// A sleeping task: waits (durably) until something outside wakes it, or its timeout.
const approval = executor.sleepingTask<{ approvedBy: string }>({ id: 'approval', timeoutMs: 24 * 60 * 60 * 1000 })

// A looping task: the iteration runs until it says it is done, at most 10 times, 50 ms apart.
let polls = 0
const pollExport = executor.task({
  id: 'pollExport',
  timeoutMs: 5_000,
  run: () => (++polls < 3 ? { isDone: false as const } : { isDone: true as const, output: 'export ready' }),
})
const waitForExport = executor.loopingTask('waitForExport', pollExport, 10, 50)

await executor.start()
try {
  const rates = await executor.enqueueTask(fetchRates, { currencies: ['EUR', 'GBP'] })
  const order = await executor.enqueueTask(checkout, 'book,lamp,desk')
  // The sleeping task's input is its unique id: whoever knows it can wake the execution.
  const waiting = await executor.enqueueTask(approval, 'refund-1234')
  await executor.wakeupSleepingTaskExecution(approval, 'refund-1234', {
    status: 'completed',
    output: { approvedBy: 'ops@example.com' },
  })
  const exported = await executor.enqueueTask(waitForExport)

  for (const handle of [rates, order, waiting, exported]) {
    const finished = await handle.waitAndGetFinishedExecution()
    console.log(handle.taskId, finished.status, JSON.stringify(finished.status === 'completed' ? finished.output : finished.error))
  }
} finally {
  await executor.shutdown()
}
