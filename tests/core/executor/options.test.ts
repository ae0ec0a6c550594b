import { describe, expect, it } from 'vitest'

import { DurableExecutionError } from '../../../src/core/errors.js'
import { DurableExecutor } from '../../../src/core/executor/index.js'
import {
  computeRetryDelayMs,
  resolveDurableExecutorOptions,
  validateRetryOptions,
  validateSleepMsBeforeRun,
  validateTimeoutMs,
} from '../../../src/core/executor/options.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'

describe('executor options', () => {
  it('fills in the spec defaults when no option is given, and treats null as absent', () => {
    const resolved = resolveDurableExecutorOptions({ expireLeewayMs: null, logLevel: null })
    expect(resolved).toMatchObject({
      logLevel: 'info',
      expireLeewayMs: 300_000,
      backgroundProcessIntraBatchSleepMs: 500,
      maxConcurrentTaskExecutions: 5000,
      maxTaskExecutionsPerBatch: 100,
      processOnChildrenFinishedTaskExecutionsBatchSize: 100,
      markFinishedTaskExecutionsAsCloseStatusReadyBatchSize: 100,
      closeFinishedTaskExecutionsBatchSize: 100,
      cancelNeedsPromiseCancellationTaskExecutionsBatchSize: 100,
      retryExpiredTaskExecutionsBatchSize: 100,
      maxChildrenPerTaskExecution: 1000,
      maxSerializedInputDataSize: 1_048_576,
      maxSerializedOutputDataSize: 1_048_576,
      enableStorageBatching: false,
      enableStorageStats: false,
      storageBackgroundBatchingProcessIntraBatchSleepMs: 10,
      storageMaxRetryAttempts: 1,
    })
    expect(typeof resolved.serializer.serialize).toBe('function')
  })

  it.each([
    [{ processOnChildrenFinishedTaskExecutionsBatchSize: 0 }, 'processOnChildrenFinishedTaskExecutionsBatchSize must be an integer between 1 and 200 [processOnChildrenFinishedTaskExecutionsBatchSize=0]'],
    [{ closeFinishedTaskExecutionsBatchSize: 201 }, 'closeFinishedTaskExecutionsBatchSize must be an integer between 1 and 200 [closeFinishedTaskExecutionsBatchSize=201]'],
    [{ maxChildrenPerTaskExecution: 1001 }, 'maxChildrenPerTaskExecution must be an integer between 1 and 1000 [maxChildrenPerTaskExecution=1001]'],
    [{ maxSerializedInputDataSize: 1023 }, 'maxSerializedInputDataSize must be an integer between 1024 and 10485760 [maxSerializedInputDataSize=1023]'],
    [{ maxSerializedOutputDataSize: 10_485_761 }, 'maxSerializedOutputDataSize must be an integer between 1024 and 10485760 [maxSerializedOutputDataSize=10485761]'],
    [{ storageBackgroundBatchingProcessIntraBatchSleepMs: 101 }, 'storageBackgroundBatchingProcessIntraBatchSleepMs must be a number between 1 and 100 [storageBackgroundBatchingProcessIntraBatchSleepMs=101]'],
    [{ storageMaxRetryAttempts: 11 }, 'storageMaxRetryAttempts must be an integer between 0 and 10 [storageMaxRetryAttempts=11]'],
    [{ expireLeewayMs: -1 }, 'expireLeewayMs must be a number >= 0 [expireLeewayMs=-1]'],
    [{ backgroundProcessIntraBatchSleepMs: 'fast' }, 'backgroundProcessIntraBatchSleepMs must be a number >= 1 [backgroundProcessIntraBatchSleepMs="fast"]'],
    [{ maxConcurrentTaskExecutions: 1.5 }, 'maxConcurrentTaskExecutions must be an integer >= 1 [maxConcurrentTaskExecutions=1.5]'],
    [{ enableStorageBatching: 'yes' }, 'enableStorageBatching must be a boolean [enableStorageBatching="yes"]'],
    [{ logLevel: 'verbose' }, "logLevel must be one of 'debug', 'info', 'warn', 'error' [logLevel=\"verbose\"]"],
    [{ serializer: { serialize: () => '' } }, 'serializer must be an object with serialize(value) and deserialize(string) functions'],
  ])('rejects %j with a message naming the option, the rule and the value', (options, problem) => {
    expect(() => resolveDurableExecutorOptions(options as never)).toThrow(`Invalid options: ${problem}`)
  })

  it('lists every broken option in one error', () => {
    expect(() =>
      resolveDurableExecutorOptions({ maxChildrenPerTaskExecution: 0, storageMaxRetryAttempts: -1 }),
    ).toThrow(
      'Invalid options: maxChildrenPerTaskExecution must be an integer between 1 and 1000 [maxChildrenPerTaskExecution=0]; storageMaxRetryAttempts must be an integer between 0 and 10 [storageMaxRetryAttempts=-1]',
    )
  })

  it('makes DurableExecutor.make reject with a non-retryable Invalid options error', async () => {
    const make = DurableExecutor.make(new InMemoryTaskExecutionsStorage(), {
      maxSerializedInputDataSize: 0,
    })
    await expect(make).rejects.toThrow('Invalid options: maxSerializedInputDataSize')
    await expect(make).rejects.toSatisfy(
      (error) => error instanceof DurableExecutionError && !error.isRetryable,
    )
  })
})

describe('task options', () => {
  it('defaults absent retry options to no retry and keeps only given fields', () => {
    expect(validateRetryOptions('t', undefined)).toEqual({ maxAttempts: 0 })
    expect(validateRetryOptions('t', { maxAttempts: 3, baseDelayMs: 10 })).toEqual({
      maxAttempts: 3,
      baseDelayMs: 10,
    })
  })

  it.each([
    [{ maxAttempts: -1 }, 'maxAttempts must be an integer between 0 and 1000 [maxAttempts=-1]'],
    [{}, 'maxAttempts is required'],
    [{ maxAttempts: 1001 }, 'maxAttempts must be an integer between 0 and 1000 [maxAttempts=1001]'],
    [{ maxAttempts: 1, baseDelayMs: 3_600_001 }, 'baseDelayMs must be an integer between 0 and 3600000 [baseDelayMs=3600001]'],
    [{ maxAttempts: 1, delayMultiplier: 0.05 }, 'delayMultiplier must be a number between 0.1 and 10 [delayMultiplier=0.05]'],
    [{ maxAttempts: 1, maxDelayMs: 86_400_001 }, 'maxDelayMs must be an integer between 0 and 86400000 [maxDelayMs=86400001]'],
    [{ maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 50 }, 'maxDelayMs must be greater than or equal to baseDelayMs [maxDelayMs=50] [baseDelayMs=100]'],
  ])('rejects retry options %j', (retryOptions, problem) => {
    expect(() => validateRetryOptions('my_task', retryOptions as never)).toThrow(
      `Invalid retry options for task my_task: ${problem}`,
    )
  })

  it('rounds a fractional sleep and lease leeway up to whole milliseconds, which every dialect stores', () => {
    expect(validateSleepMsBeforeRun('t', 0.5)).toBe(1)
    expect(validateSleepMsBeforeRun('t', 250)).toBe(250)
    expect(resolveDurableExecutorOptions({ expireLeewayMs: 1000.2 }).expireLeewayMs).toBe(1001)
  })

  it('rejects a negative sleep and a timeout that is not a positive integer', () => {
    expect(validateSleepMsBeforeRun('t', undefined)).toBe(0)
    expect(() => validateSleepMsBeforeRun('t', -1)).toThrow(
      'Invalid sleep ms before run for task t: sleepMsBeforeRun must be a number >= 0 [sleepMsBeforeRun=-1]',
    )
    expect(validateTimeoutMs('t', 1)).toBe(1)
    for (const timeoutMs of [0, 1.5, undefined, Number.NaN]) {
      expect(() => validateTimeoutMs('t', timeoutMs)).toThrow(
        `Invalid timeout value for task t: timeoutMs must be an integer >= 1 [timeoutMs=${String(timeoutMs)}]`,
      )
    }
  })
})

describe('retry backoff', () => {
  it('grows by the multiplier per retry from the base delay and stops at the cap', () => {
    const options = { maxAttempts: 10, baseDelayMs: 1000, delayMultiplier: 2, maxDelayMs: 30_000 }
    expect([0, 1, 2, 3, 4, 5, 6].map((attempt) => computeRetryDelayMs(options, attempt))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ])
  })

  it('gives whole milliseconds with a fractional multiplier, as every dialect\'s integer timestamp columns need', () => {
    const options = { maxAttempts: 10, baseDelayMs: 100, delayMultiplier: 1.5 }
    expect([1, 2, 3].map((attempt) => computeRetryDelayMs(options, attempt))).toEqual([150, 225, 338])
  })

  it('retries at once without a base delay, whatever the multiplier', () => {
    expect(computeRetryDelayMs({ maxAttempts: 3 }, 0)).toBe(0)
    expect(computeRetryDelayMs({ maxAttempts: 3, delayMultiplier: 5 }, 2)).toBe(0)
  })

  it('keeps the base delay constant with the default multiplier and can shrink with one below 1', () => {
    expect(computeRetryDelayMs({ maxAttempts: 3, baseDelayMs: 100 }, 2)).toBe(100)
    expect(computeRetryDelayMs({ maxAttempts: 3, baseDelayMs: 100, delayMultiplier: 0.5 }, 2)).toBe(25)
  })
})
