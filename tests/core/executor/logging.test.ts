import { afterEach, describe, expect, it } from 'vitest'

import { DurableExecutor, type DurableExecutorLogContext, type DurableExecutorLogger, type DurableExecutorOptions } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import { blockRun, createGate, waitUntil } from '../../../src/testing/executor-suite/harness.js'
import { buildTaskExecutionRow } from '../../../src/testing/storage-suite/row-builder.js'

type Line = { level: string; message: string; context: DurableExecutorLogContext | undefined }

function createRecordingLogger(): { logger: DurableExecutorLogger; lines: Array<Line> } {
  const lines: Array<Line> = []
  const record = (level: string) => (message: string, context?: DurableExecutorLogContext) =>
    lines.push({ level, message, context })
  return {
    lines,
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
  }
}

const executors: Array<DurableExecutor> = []
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

async function startExecutor(
  storage: InMemoryTaskExecutionsStorage,
  options: DurableExecutorOptions,
  register: (executor: DurableExecutor) => void,
): Promise<DurableExecutor> {
  const executor = await DurableExecutor.make(storage, { backgroundProcessIntraBatchSleepMs: 20, ...options })
  executors.push(executor)
  register(executor)
  await executor.start()
  return executor
}

const SECRET_INPUT = 'card-4242-secret'

describe('executor logging', () => {
  it('logs a failed attempt as a warning with the retry delay, ids and error, never the input', async () => {
    const recorded = createRecordingLogger()
    let attempts = 0
    const storage = new InMemoryTaskExecutionsStorage()
    const executor = await startExecutor(storage, { logger: recorded.logger, logLevel: 'debug' }, () => undefined)
    const task = executor.task({
      id: 'charge',
      timeoutMs: 5_000,
      retryOptions: { maxAttempts: 1, baseDelayMs: 15 },
      run: (_ctx, input: { card: string }) => {
        attempts++
        if (attempts === 1) throw new Error(`card declined for ${input.card.length}-character card`)
        return 'charged'
      },
    })
    const handle = await executor.enqueueTask(task, { card: SECRET_INPUT })
    const finished = await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 20 })
    expect(finished.status).toBe('completed')

    const retries = recorded.lines.filter((line) => line.message.startsWith('Task execution failed; retrying in'))
    expect(retries).toEqual([
      {
        level: 'warn',
        message: `Task execution failed; retrying in 15 ms [taskId=charge] [executionId=${handle.executionId}]`,
        context: expect.objectContaining({
          executionId: handle.executionId,
          taskId: 'charge',
          executorId: executor.id,
          attempt: 0,
          delayMs: 15,
          error: expect.stringContaining('card declined for 16-character card') as unknown,
        }) as unknown,
      },
    ])
    expect(JSON.stringify(recorded.lines)).not.toContain(SECRET_INPUT)
  })

  it('logs an execution that failed for good as an error with its ids', async () => {
    const recorded = createRecordingLogger()
    const storage = new InMemoryTaskExecutionsStorage()
    const executor = await startExecutor(storage, { logger: recorded.logger }, () => undefined)
    const task = executor.task({
      id: 'always_fails',
      timeoutMs: 5_000,
      run: () => {
        throw new Error('the payment provider is gone')
      },
    })
    const handle = await executor.enqueueTask(task)
    expect((await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 20 })).status).toBe('failed')

    await waitUntil('the failure is logged', () => recorded.lines.some((line) => line.level === 'error'))
    expect(recorded.lines.filter((line) => line.level === 'error')).toEqual([
      {
        level: 'error',
        message: `Task execution failed for good [taskId=always_fails] [executionId=${handle.executionId}]`,
        context: expect.objectContaining({
          executionId: handle.executionId,
          taskId: 'always_fails',
          error: expect.stringContaining('the payment provider is gone') as unknown,
        }) as unknown,
      },
    ])
  })

  it('logs an expired lease when it is swept and when its execution runs again', async () => {
    const recorded = createRecordingLogger()
    const storage = new InMemoryTaskExecutionsStorage()
    const now = Date.now()
    const expired = buildTaskExecutionRow({
      now: now - 60_000,
      taskId: 'expires',
      status: 'running',
      executorId: 'de_gone0000',
      startedAt: now - 60_000,
      expiresAt: now - 10_000,
      leaseToken: 'de_gone0000.1',
      input: '{"json":1}',
    })
    await storage.insertMany([expired])
    await startExecutor(storage, { logger: recorded.logger, logLevel: 'info' }, (executor) =>
      executor.task({ id: 'expires', timeoutMs: 5_000, run: () => 'ran again' }),
    )
    await waitUntil('the execution completed', async () => {
      const [row] = await storage.getManyById([{ executionId: expired.executionId, filters: {} }])
      return row?.status === 'completed'
    })

    const warnings = recorded.lines.filter((line) => line.level === 'warn')
    expect(warnings).toEqual([
      {
        level: 'warn',
        message: 'Leases of 1 running task execution(s) expired; they are ready again',
        context: expect.objectContaining({ count: 1 }) as unknown,
      },
      {
        level: 'warn',
        message: `Running task execution again after its lease expired 1 time(s) [taskId=expires] [executionId=${expired.executionId}]`,
        context: expect.objectContaining({ executionId: expired.executionId, taskId: 'expires', expiryCount: 1 }) as unknown,
      },
    ])
  })

  it('logs a cancellation and the interruption of the cancelled run', async () => {
    const recorded = createRecordingLogger()
    const storage = new InMemoryTaskExecutionsStorage()
    const started = createGate()
    const executor = await startExecutor(storage, { logger: recorded.logger, logLevel: 'info' }, () => undefined)
    const task = executor.task({
      id: 'long_report',
      timeoutMs: 30_000,
      run: async (ctx) => {
        started.open()
        await blockRun(ctx, createGate())
        return 'done'
      },
    })
    const handle = await executor.enqueueTask(task)
    await started.promise
    await handle.cancel()
    const ids = { executionId: handle.executionId, taskId: 'long_report' }
    await waitUntil('the interruption is logged', () =>
      recorded.lines.some((line) => line.message.startsWith('Interrupted the run of cancelled task execution')),
    )

    expect(recorded.lines.filter((line) => line.context?.executionId === handle.executionId)).toEqual([
      {
        level: 'info',
        message: `Cancelled task execution [taskId=long_report] [executionId=${handle.executionId}]`,
        context: expect.objectContaining(ids) as unknown,
      },
      {
        level: 'info',
        message: `Interrupted the run of cancelled task execution [taskId=long_report] [executionId=${handle.executionId}]`,
        context: expect.objectContaining(ids) as unknown,
      },
    ])
  })

  it('writes no warning at logLevel error, and warnings to error for a logger without warn', async () => {
    const quiet = createRecordingLogger()
    const upstreamStyle = createRecordingLogger()
    const withoutWarn: DurableExecutorLogger = {
      debug: upstreamStyle.logger.debug,
      info: upstreamStyle.logger.info,
      error: upstreamStyle.logger.error,
    }
    const handles = []
    for (const [logger, logLevel] of [
      [quiet.logger, 'error'],
      [withoutWarn, 'info'],
    ] as const) {
      const executor = await startExecutor(new InMemoryTaskExecutionsStorage(), { logger, logLevel }, () => undefined)
      let attempts = 0
      const task = executor.task({
        id: 'flaky',
        timeoutMs: 5_000,
        retryOptions: { maxAttempts: 1 },
        run: () => {
          attempts++
          if (attempts === 1) throw new Error('first attempt fails')
          return 'ok'
        },
      })
      handles.push(await executor.enqueueTask(task))
    }
    for (const handle of handles) expect((await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 20 })).status).toBe('completed')

    expect(quiet.lines).toEqual([])
    expect(upstreamStyle.lines.filter((line) => line.message.startsWith('Task execution failed; retrying'))).toEqual([
      expect.objectContaining({ level: 'error' }),
    ])
  })
})
