/**
 * Executor suite, leases beyond upstream: a late result from a run whose lease another executor
 * took over is dropped (fencing); an expired execution keeps its place in the queue and counts
 * its expiries; one that expired `maxExpiries` times fails without running; executions that
 * expired before run one at a time; a run that rejects at shutdown is handed back; any thrown
 * value is stored; a storage outage is logged once when it starts and once when it ends.
 */
import { describe, expect, it } from 'vitest'

import { DurableExecutionStorageError } from '../../core/errors.js'
import type { DurableExecutorLogContext, DurableExecutorLogger } from '../../core/executor/types.js'
import { buildTaskExecutionRow } from '../storage-suite/row-builder.js'
import {
  blockRun,
  createFaultyStorage,
  createGate,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  readStoredExecution,
  waitUntil,
  whenAborted,
} from './harness.js'

/** A logger that keeps every line, with the text of the error when one is given. */
function createRecordingLogger(): { logger: DurableExecutorLogger; lines: Array<{ level: string; text: string }> } {
  const lines: Array<{ level: string; text: string }> = []
  const record = (level: string) => (message: string, context?: DurableExecutorLogContext) =>
    lines.push({ level, text: context?.error === undefined ? message : `${message}: ${context.error}` })
  return {
    lines,
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
  }
}

/** Registers the lease tests in the calling `describe`. */
export function describeLeaseBehaviours(context: ExecutorSuiteContext): void {
  describe('leases, fencing and poison pills (beyond upstream)', () => {
    it('drops the late result of a run whose lease another executor took over', async () => {
      const faulty = createFaultyStorage(context.storage)
      const recorded = createRecordingLogger()
      const stale = await context.startExecutor(
        { expireLeewayMs: 0, maxConcurrentTaskExecutions: 1, logger: recorded.logger, logLevel: 'info' },
        faulty.storage,
      )
      // A 1.5 s lease: long enough for the claimed run to start even on a loaded machine.
      const staleTask = stale.task({ id: 'fenced', timeoutMs: 1_500, run: () => 'from the stale executor' })
      const held = faulty.holdNextCall('updateManyById')
      const handle = await stale.enqueueTask(staleTask)
      await held.held
      // While its first write is held, the stale executor claims nothing more (its run's slot is
      // free again, so it would take the execution back itself once the lease ends).
      const nextClaim = faulty.holdNextCall('updateByStatusAndStartAtLessThanAndReturn')

      // A long lease for the current holder: however slow the machine, its own run never expires.
      const current = await context.startExecutor({ expireLeewayMs: 10_000 })
      current.task({ id: 'fenced', timeoutMs: 1_500, run: () => 'from the current executor' })
      const finished = await expectFinishedStatus(handle, 'completed')
      expect(finished.output).toBe('from the current executor')

      held.release()
      nextClaim.release()
      await waitUntil('the stale executor dropped its result', () =>
        recorded.lines.some((line) => line.level === 'warn' && line.text.startsWith(`Dropped the result of task execution [executionId=${handle.executionId}]`)),
      )
      expect(await handle.getExecution()).toMatchObject({ status: 'completed', output: 'from the current executor' })
      expect((await readStoredExecution(context.storage, handle.executionId)).expiryCount).toBe(1)
    })

    it("keeps an expired execution's place in the queue and counts the expiry", async () => {
      const now = Date.now()
      const startAt = now - 60_000
      const expired = buildTaskExecutionRow({
        now: startAt,
        taskId: 'expired',
        status: 'running',
        executorId: 'de_gone0000',
        startedAt: startAt,
        expiresAt: now - 10_000,
        leaseToken: 'de_gone0000.1',
        input: '{"json":1}',
      })
      await context.storage.insertMany([expired])
      const executor = await context.startExecutor()
      const started = createGate()
      executor.task({
        id: 'expired',
        timeoutMs: 5_000,
        run: async (ctx) => {
          started.open()
          await blockRun(ctx, createGate())
          return 'finished'
        },
      })
      await started.promise
      const row = await readStoredExecution(context.storage, expired.executionId)
      expect(row).toMatchObject({ status: 'running', startAt, expiryCount: 1 })
      expect(row.error?.message).toBe('Task execution expired')
      expect(row.leaseToken).not.toBe(expired.leaseToken)
    })

    it('fails an execution that expired maxExpiries times without running it again', async () => {
      let runs = 0
      const executor = await context.makeExecutor({ maxExpiries: 3 })
      executor.task({
        id: 'poison',
        timeoutMs: 1000,
        run: () => {
          runs++
          return 'ran'
        },
      })
      const row = buildTaskExecutionRow({ taskId: 'poison', expiryCount: 3, input: '{"json":1}' })
      await context.storage.insertMany([row])
      await executor.start()
      await waitUntil('the execution failed', async () => (await readStoredExecution(context.storage, row.executionId)).isFinished)
      const stored = await readStoredExecution(context.storage, row.executionId)
      expect(stored.status).toBe('failed')
      expect(stored.error).toMatchObject({ isRetryable: false })
      expect(stored.error?.message).toMatch(/^Task execution expired 3 times without finishing: .*\[maxExpiries=3\]$/)
      expect(runs).toBe(0)
    })

    it('runs executions that expired before one at a time, beside ordinary ones', async () => {
      const executor = await context.makeExecutor({ maxExpiries: 5 })
      let suspectsRunning = 0
      let mostSuspectsAtOnce = 0
      // The first suspect holds until the ordinary executions have finished beside it.
      const ordinariesDone = createGate()
      executor.task({
        id: 'suspect',
        timeoutMs: 30_000,
        run: async (ctx) => {
          suspectsRunning++
          mostSuspectsAtOnce = Math.max(mostSuspectsAtOnce, suspectsRunning)
          await blockRun(ctx, ordinariesDone)
          suspectsRunning--
          return 'suspect done'
        },
      })
      const ordinary = executor.task({ id: 'ordinary', timeoutMs: 30_000, run: () => suspectsRunning })
      const suspects = Array.from({ length: 3 }, () => buildTaskExecutionRow({ taskId: 'suspect', expiryCount: 2, input: '{"json":1}' }))
      await context.storage.insertMany(suspects)
      await executor.start()
      await waitUntil('a suspect runs', () => suspectsRunning > 0)
      const handles = await Promise.all(Array.from({ length: 5 }, () => executor.enqueueTask(ordinary)))
      for (const handle of handles) expect((await expectFinishedStatus(handle, 'completed')).output).toBe(1)
      ordinariesDone.open()
      await waitUntil('every suspect finished', async () => {
        const rows = await context.storage.getManyById(suspects.map((row) => ({ executionId: row.executionId })))
        return rows.every((row) => row?.status === 'completed')
      }, 30_000)
      expect(mostSuspectsAtOnce).toBe(1)
    })

    it('hands a run that rejects at shutdown back to ready, claims nothing more, and another executor completes it', async () => {
      const first = await context.startExecutor()
      const started = createGate()
      let runsHere = 0
      const firstTask = first.task({
        id: 'handed_back',
        timeoutMs: 10_000,
        retryOptions: { maxAttempts: 0 },
        run: async (ctx) => {
          runsHere++
          started.open()
          await whenAborted(ctx.shutdownSignal)
          throw new Error('stopping for shutdown')
        },
      })
      const handle = await first.enqueueTask(firstTask)
      await started.promise
      await first.shutdown()
      // The hand-back wakes pickup at once; a shutting-down executor must not claim the row again.
      expect(runsHere).toBe(1)
      const row = await readStoredExecution(context.storage, handle.executionId)
      expect(row).toMatchObject({ status: 'ready', retryAttempts: 0 })
      expect(row.error?.message).toMatch(/^Task execution handed back at executor shutdown \[executorId=de_\w+\]: stopping for shutdown$/)

      const second = await context.startExecutor()
      second.task({ id: 'handed_back', timeoutMs: 10_000, run: () => 'completed elsewhere' })
      expect((await expectFinishedStatus(handle, 'completed')).output).toBe('completed elsewhere')
    })

    it('stores a thrown value that cannot be described as the failure of its run', async () => {
      const executor = await context.startExecutor()
      const hostile = new Proxy(
        {},
        {
          get: () => {
            throw new Error('get')
          },
          getPrototypeOf: () => {
            throw new Error('getPrototypeOf')
          },
        },
      )
      const task = executor.task({
        id: 'hostile',
        timeoutMs: 1000,
        run: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
          throw hostile
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toBe('A value that cannot be described was thrown [type=object]')
    })

    it('logs a storage outage once when it starts and once when it ends, without the statement', async () => {
      const faulty = createFaultyStorage(context.storage)
      const recorded = createRecordingLogger()
      const outage = () =>
        new DurableExecutionStorageError(
          'Lost the connection to the database during updateByStatusAndStartAtLessThanAndReturn on SQL table "t": connection reset',
          'connection_lost',
          { cause: new Error('update "t" set "input" = $1 -- params: SECRET_PARAMETER') },
        )
      const executor = await context.makeExecutor({ logger: recorded.logger, logLevel: 'info', storageMaxRetryAttempts: 0 }, faulty.storage)
      const task = executor.task({ id: 'after_outage', timeoutMs: 1000, run: () => 'done' })
      faulty.failNextCalls('updateByStatusAndStartAtLessThanAndReturn', 6, outage)
      const handle = await executor.enqueueTask(task)
      await executor.start()
      expect((await expectFinishedStatus(handle, 'completed')).output).toBe('done')
      const isBackLine = (text: string) => text.startsWith('The database is reachable again, after ')
      await waitUntil('the end of the outage is logged', () => recorded.lines.some((line) => isBackLine(line.text)))
      const errorLines = recorded.lines.filter((line) => line.level === 'error')
      expect(errorLines.map((line) => line.text)).toEqual([
        expect.stringMatching(/^The database is unreachable; storage calls are retried until it is back: Lost the connection/),
      ])
      expect(recorded.lines.filter((line) => isBackLine(line.text))).toHaveLength(1)
      expect(recorded.lines.some((line) => line.text.includes('SECRET_PARAMETER'))).toBe(false)
    })
  })
}
