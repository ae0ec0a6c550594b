/**
 * Logging: the executor writes task failures, retries (with their delay), expiries, lease losses
 * and cancellations with the execution and task ids, through any logger with debug, info, warn and
 * error methods taking a message and a context object. This one writes JSON lines, as pino does.
 * Run: npx tsx examples/logging.ts
 */
import { DurableExecutor, InMemoryTaskExecutionsStorage, type DurableExecutorLogger } from 'durable-execution-drizzle'

const jsonLine =
  (level: string) =>
  (message: string, context?: object): void => {
    console.log(JSON.stringify({ level, message, ...context }))
  }
// `console` fits as it is. With pino, whose methods take the object first:
// { debug: (message, context) => log.debug(context, message), info: …, warn: …, error: … }
const logger: DurableExecutorLogger = {
  debug: jsonLine('debug'),
  info: jsonLine('info'),
  warn: jsonLine('warn'),
  error: jsonLine('error'),
}

const executor = await DurableExecutor.make(new InMemoryTaskExecutionsStorage(), { logger, logLevel: 'warn' })
const syncContacts = executor.task({
  id: 'syncContacts',
  timeoutMs: 5_000,
  retryOptions: { maxAttempts: 2, baseDelayMs: 200 },
  run: (ctx) => {
    if (ctx.attempt === 0) throw new Error('CRM answered 503')
    return { synced: 12 }
  },
})

await executor.start()
try {
  const handle = await executor.enqueueTask(syncContacts)
  const finished = await handle.waitAndGetFinishedExecution()
  // Logged above: {"level":"warn","message":"Task execution failed; retrying in 200 ms …","delayMs":200,…}
  console.log(finished.status, finished.status === 'completed' ? finished.output : finished.error)
} finally {
  await executor.shutdown()
}
