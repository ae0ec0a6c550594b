/**
 * Executor suite, basic lifecycle and API (spec 5.2 items 28-33): runs and outputs, enqueue
 * through a caller's transaction, input validation, option and lookup errors, shutdown, the
 * serializer and the size limits.
 */
import { describe, expect, it } from 'vitest'

import { DurableExecutionNotFoundError } from '../../core/errors.js'
import { DurableExecutor } from '../../core/executor/index.js'
import type { DurableExecutorOptions } from '../../core/executor/types.js'
import { createSuperjsonSerializer } from '../../core/serializer.js'
import type { TaskExecutionStorageValue } from '../../core/storage.js'
import {
  createFaultyStorage,
  createTestSchema,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  FAST_POLLING,
  readStoredExecution,
  sleep,
  suiteExecutorOptions,
  waitUntil,
} from './harness.js'

/** Registers the lifecycle tests in the calling `describe`. */
export function describeLifecycleBehaviours(
  context: ExecutorSuiteContext,
  enableStorageBatching: boolean,
): void {
  describe('lifecycle and API', () => {
    it('runs a synchronous task exactly once and stores its output with ordered timestamps', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: (_ctx, input: number) => {
          runs++
          return input * 2
        },
      })
      const before = Date.now()
      const handle = await executor.enqueueTask(task, 21)
      const execution = await expectFinishedStatus(handle, 'completed')
      const after = Date.now()

      expect(execution.output).toBe(42)
      expect(execution.input).toBe(21)
      expect(execution.taskId).toBe('test')
      expect(execution.executionId).toBe(handle.executionId)
      expect(execution.executionId).toMatch(/^te_/)
      expect(execution.retryAttempts).toBe(0)
      for (const date of [
        execution.createdAt,
        execution.startAt,
        execution.startedAt,
        execution.finishedAt,
        execution.updatedAt,
      ]) {
        expect(date).toBeInstanceOf(Date)
      }
      expect(execution.createdAt.getTime()).toBeGreaterThanOrEqual(before)
      expect(execution.startAt.getTime()).toBeGreaterThanOrEqual(execution.createdAt.getTime())
      expect(execution.startedAt.getTime()).toBeGreaterThanOrEqual(execution.startAt.getTime())
      expect(execution.finishedAt.getTime()).toBeGreaterThanOrEqual(execution.startedAt.getTime())
      expect(execution.updatedAt.getTime()).toBeGreaterThanOrEqual(execution.finishedAt.getTime())
      expect(execution.updatedAt.getTime()).toBeLessThanOrEqual(after)

      // Give a second pickup every chance to happen: the row goes through its whole close cycle.
      await waitUntil('the execution is closed', async () => {
        const row = await readStoredExecution(context.storage, handle.executionId)
        return row.closeStatus === 'closed'
      })
      expect(runs).toBe(1)
    })

    it('runs an asynchronous task and round-trips rich output values', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: async (_ctx, input: { name: string }) => {
          runs++
          await sleep(5)
          return { greeting: `hello ${input.name}`, at: new Date(1_000), tags: new Set(['a']) }
        },
      })
      const handle = await executor.enqueueTask(task, { name: 'world' })
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output.greeting).toBe('hello world')
      expect(execution.output.at).toEqual(new Date(1_000))
      expect(execution.output.tags).toEqual(new Set(['a']))
      expect(execution.input).toEqual({ name: 'world' })
      expect(runs).toBe(1)
    })

    it('inserts through the caller-supplied transaction instead of the storage on enqueue', async () => {
      const counting = createFaultyStorage(context.storage)
      const executor = await context.startExecutor(undefined, counting.storage)
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      const insertedThroughTransaction: Array<Array<TaskExecutionStorageValue>> = []
      const transaction = {
        insertMany: async (rows: ReadonlyArray<TaskExecutionStorageValue>) => {
          insertedThroughTransaction.push([...rows])
          await context.storage.insertMany(rows)
        },
      }
      const insertsBefore = counting.callCount('insertMany')
      const handle = await executor.enqueueTask(task, undefined, {
        taskExecutionsStorageTransaction: transaction,
      })
      expect(counting.callCount('insertMany')).toBe(insertsBefore)
      expect(insertedThroughTransaction).toHaveLength(1)
      expect(insertedThroughTransaction[0]).toHaveLength(1)
      expect(insertedThroughTransaction[0]![0]!.executionId).toBe(handle.executionId)
      expect(insertedThroughTransaction[0]![0]!.taskId).toBe('test')
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('done')
    })

    it('passes the input transformed by validateInput to the run function', async () => {
      const executor = await context.startExecutor()
      const syncTask = executor
        .validateInput((input: string) => input.length)
        .task({ id: 'sync_validated', timeoutMs: 1000, run: (_ctx, length: number) => length * 2 })
      const asyncTask = executor
        .validateInput(async (input: string) => input.toUpperCase())
        .task({ id: 'async_validated', timeoutMs: 1000, run: (_ctx, text: string) => `${text}!` })
      const syncHandle = await executor.enqueueTask(syncTask, 'abc')
      const asyncHandle = await executor.enqueueTask(asyncTask, 'abc')
      const syncExecution = await expectFinishedStatus(syncHandle, 'completed')
      const asyncExecution = await expectFinishedStatus(asyncHandle, 'completed')
      expect(syncExecution.output).toBe(6)
      expect(syncExecution.input).toBe('abc')
      expect(asyncExecution.output).toBe('ABC!')
    })

    it('fails without calling the run function when validateInput throws, without retrying', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor
        .validateInput((input: unknown) => {
          if (typeof input !== 'string') throw new Error('input must be a string')
          return input
        })
        .task({
          id: 'test',
          timeoutMs: 1000,
          retryOptions: { maxAttempts: 2 },
          run: () => {
            runs++
            return 'ran'
          },
        })
      // Validation happens at run time: the enqueue itself succeeds.
      const handle = await executor.enqueueTask(task, 42)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error).toEqual({
        errorType: 'generic',
        message: 'Invalid input to task test: input must be a string',
        isRetryable: false,
        isInternal: false,
      })
      expect(execution.retryAttempts).toBe(0)
      expect(runs).toBe(0)
    })

    it('validates and transforms the input with a Standard Schema, sync or async', async () => {
      const executor = await context.startExecutor()
      const check = (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { name?: unknown }).name === 'string'
          ? { value: { name: (value as { name: string }).name.trim() } }
          : { issues: [{ message: 'Expected an object with a name' }] }
      const syncTask = executor.inputSchema(createTestSchema<{ name: string }>(check)).task({
        id: 'sync_schema',
        timeoutMs: 1000,
        run: (_ctx, input: { name: string }) => `hello ${input.name}`,
      })
      const asyncTask = executor
        .inputSchema(createTestSchema<{ name: string }>(check, { async: true }))
        .task({
        id: 'async_schema',
        timeoutMs: 1000,
        run: (_ctx, input: { name: string }) => `hi ${input.name}`,
      })
      const syncHandle = await executor.enqueueTask(syncTask, { name: '  ada ' })
      const asyncHandle = await executor.enqueueTask(asyncTask, { name: ' bob' })
      expect(
        (await expectFinishedStatus(syncHandle, 'completed')).output,
      ).toBe('hello ada')
      expect(
        (await expectFinishedStatus(asyncHandle, 'completed')).output,
      ).toBe('hi bob')
    })

    it('fails with every Standard Schema issue and its path when the input does not match', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const schema = createTestSchema<{ user: { name: string } }>(() => ({
        issues: [
          { message: 'Expected a string', path: ['user', { key: 'name' }] },
          { message: 'Unexpected input' },
        ],
      }))
      const task = executor.inputSchema(schema).task({
        id: 'test',
        timeoutMs: 1000,
        run: () => {
          runs++
          return 'ran'
        },
      })
      const handle = await executor.enqueueTask(task, { user: { name: 1 } })
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.errorType).toBe('generic')
      expect(execution.error.isRetryable).toBe(false)
      expect(execution.error.message.startsWith('Invalid input to task test: ')).toBe(true)
      expect(execution.error.message).toContain('× Expected a string')
      expect(execution.error.message).toContain('→ at user.name')
      expect(execution.error.message).toContain('× Unexpected input')
      expect(runs).toBe(0)
    })

    it('rejects invalid executor options and accepts null as absent', async () => {
      const invalidOptions: Array<Record<string, unknown>> = [
        { maxTaskExecutionsPerBatch: 'many' },
        { processOnChildrenFinishedTaskExecutionsBatchSize: 0 },
        { closeFinishedTaskExecutionsBatchSize: 201 },
        { retryExpiredTaskExecutionsBatchSize: 1.5 },
        { maxChildrenPerTaskExecution: 1001 },
        { maxSerializedInputDataSize: 1023 },
        { maxSerializedOutputDataSize: 10_485_761 },
        { logLevel: 'verbose' },
        { storageBackgroundBatchingProcessIntraBatchSleepMs: 0 },
        { storageMaxRetryAttempts: 11 },
        { enableStorageBatching: 'yes' },
        { serializer: { serialize: 'not a function' } },
      ]
      for (const invalid of invalidOptions) {
        await expect(
          DurableExecutor.make(context.storage, {
            ...suiteExecutorOptions(enableStorageBatching),
            ...(invalid as DurableExecutorOptions),
          }),
          JSON.stringify(invalid),
        ).rejects.toThrow('Invalid options')
      }
      const executor = await context.startExecutor({
        maxConcurrentTaskExecutions: null,
        expireLeewayMs: null,
        serializer: null,
      })
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'ok' })
      const handle = await executor.enqueueTask(task)
      await expectFinishedStatus(handle, 'completed')
    })

    it('rejects a duplicate task id and invalid task ids at registration', async () => {
      const executor = await context.makeExecutor()
      executor.task({ id: 'test', timeoutMs: 1000, run: () => 1 })
      expect(() => executor.task({ id: 'test', timeoutMs: 1000, run: () => 2 })).toThrow(
        'Task with given id already exists [taskId=test]',
      )
      expect(() => executor.task({ id: '', timeoutMs: 1000, run: () => 1 })).toThrow(
        'Task id cannot be empty',
      )
      expect(() => executor.task({ id: 'a'.repeat(256), timeoutMs: 1000, run: () => 1 })).toThrow(
        'Task id cannot be longer than 255 characters [idLength=256]',
      )
      expect(() => executor.task({ id: 'not-valid', timeoutMs: 1000, run: () => 1 })).toThrow(
        'Task id can only contain alphanumeric characters and underscores',
      )
      expect(() => executor.sleepingTask({ id: 'test', timeoutMs: 1000 })).toThrow(
        'Task with given id already exists [taskId=test]',
      )
      expect(executor.task({ id: 'a'.repeat(255), timeoutMs: 1000, run: () => 1 }).id).toBe(
        'a'.repeat(255),
      )
    })

    it('rejects enqueue and handle lookup for a task this executor does not know', async () => {
      const owner = await context.makeExecutor()
      const stranger = await context.makeExecutor()
      const task = owner.task({ id: 'test', timeoutMs: 1000, run: () => 1 })
      const enqueueOnStranger = stranger.enqueueTask(task)
      await expect(enqueueOnStranger).rejects.toThrow('Task not found [taskId=test]')
      await expect(enqueueOnStranger).rejects.toBeInstanceOf(DurableExecutionNotFoundError)
      const handle = await owner.enqueueTask(task)
      await expect(stranger.getTaskExecutionHandle(task, handle.executionId)).rejects.toThrow(
        'Task not found [taskId=test]',
      )
    })

    it('fails an execution claimed by an executor that does not know its task', async () => {
      const owner = await context.makeExecutor()
      const task = owner.task({ id: 'test', timeoutMs: 1000, run: () => 'never' })
      const handle = await owner.enqueueTask(task)
      // Only the stranger runs its loops, so only it can claim the row.
      await context.startExecutor()
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain('Task not found [taskId=test]')
      expect(execution.error.isRetryable).toBe(false)
    })

    it('looks up handles by id and rejects missing executions and executions of another task', async () => {
      const executor = await context.makeExecutor()
      const taskA = executor.task({ id: 'task_a', timeoutMs: 1000, run: () => 'a' })
      const taskB = executor.task({ id: 'task_b', timeoutMs: 1000, run: () => 'b' })
      const handle = await executor.enqueueTask(taskA)

      const found = await executor.getTaskExecutionHandle(taskA, handle.executionId)
      expect(found.executionId).toBe(handle.executionId)
      expect(found.taskId).toBe('task_a')
      expect((await found.getExecution()).status).toBe('ready')

      const ofOtherTask = executor.getTaskExecutionHandle(taskB, handle.executionId)
      await expect(ofOtherTask).rejects.toThrow('Task execution belongs to another task')
      await expect(ofOtherTask).rejects.toBeInstanceOf(DurableExecutionNotFoundError)
      await expect(executor.getTaskExecutionHandle(taskA, 'te_missing')).rejects.toThrow(
        'Task execution not found [executionId=te_missing]',
      )
    })

    it('reports not found from getExecution and waiting once the row is deleted', async () => {
      const executor = await context.makeExecutor()
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 1 })
      const handle = await executor.enqueueTask(task)
      await context.storage.deleteById({ executionId: handle.executionId })
      await expect(handle.getExecution()).rejects.toThrow(/not found/)
      await expect(handle.getExecution()).rejects.toBeInstanceOf(DurableExecutionNotFoundError)
      await expect(handle.waitAndGetFinishedExecution(FAST_POLLING)).rejects.toThrow(/not found/)
    })

    it('refuses registration, enqueue, lookups and wakeups after shutdown, which is idempotent', async () => {
      const executor = await context.startExecutor()
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const handle = await executor.enqueueTask(task)
      await handle.waitAndGetFinishedExecution(FAST_POLLING)

      await executor.shutdown()
      await executor.shutdown()

      expect(() => executor.task({ id: 'late', timeoutMs: 1000, run: () => 1 })).toThrow(
        'Durable executor shutdown',
      )
      await expect(executor.enqueueTask(task)).rejects.toThrow('Durable executor shutdown')
      await expect(executor.getTaskExecutionHandle(task, handle.executionId)).rejects.toThrow(
        'Durable executor shutdown',
      )
      await expect(
        executor.wakeupSleepingTaskExecution(sleeper, 'unique', {
          status: 'completed',
          output: 'x',
        }),
      ).rejects.toThrow('Durable executor shutdown')
      // Handles only use the storage, so one taken before shutdown keeps working.
      expect((await handle.getExecution()).status).toBe('completed')
    })

    it('stores outputs with the configured serializer', async () => {
      const superjsonSerializer = createSuperjsonSerializer()
      let serializeCalls = 0
      const executor = await context.startExecutor({
        serializer: {
          serialize: async (value) => {
            serializeCalls++
            return `custom:${await superjsonSerializer.serialize(value)}`
          },
          deserialize: (value) => {
            if (!value.startsWith('custom:')) throw new Error(`Not written by this serializer: ${value}`)
            return superjsonSerializer.deserialize(value.slice('custom:'.length))
          },
        },
      })
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: (_ctx, input: { n: number }) => ({ doubled: input.n * 2 }),
      })
      const handle = await executor.enqueueTask(task, { n: 4 })
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toEqual({ doubled: 8 })
      const row = await readStoredExecution(context.storage, handle.executionId)
      expect(row.input.startsWith('custom:')).toBe(true)
      expect(row.output?.startsWith('custom:')).toBe(true)
      expect(serializeCalls).toBeGreaterThanOrEqual(2)
    })

    it('rejects an enqueue whose serialized input exceeds 1 MB and inserts nothing', async () => {
      const counting = createFaultyStorage(context.storage)
      const executor = await context.startExecutor(undefined, counting.storage)
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: (_ctx, input: string) => input.length })
      await expect(executor.enqueueTask(task, 'x'.repeat(1024 * 1024 + 1))).rejects.toThrow(
        /Serialized data size exceeds maximum allowed size .*\[maxSerializedDataSize=1048576B\]/,
      )
      expect(counting.callCount('insertMany')).toBe(0)
    })

    it('fails an execution whose output exceeds the output limit, without retrying', async () => {
      const executor = await context.startExecutor({ maxSerializedOutputDataSize: 1024 })
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        run: () => {
          runs++
          return 'x'.repeat(2000)
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain('size')
      expect(execution.error.message).toContain('[maxSerializedDataSize=1024B]')
      expect(execution.error.isRetryable).toBe(false)
      expect(runs).toBe(1)
    })

    it('fails an execution whose output the serializer cannot serialize, with the serializer message', async () => {
      const superjsonSerializer = createSuperjsonSerializer()
      const executor = await context.startExecutor({
        serializer: {
          serialize: (value) => {
            if (typeof value === 'object' && value !== null && 'unserializable' in value) {
              throw new Error('cannot serialize the unserializable value')
            }
            return superjsonSerializer.serialize(value)
          },
          deserialize: (value) => superjsonSerializer.deserialize(value),
        },
      })
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: () => ({ unserializable: true }),
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain('cannot serialize the unserializable value')
    })
  })
}
