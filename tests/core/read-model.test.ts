import { describe, expect, it } from 'vitest'

import {
  DurableExecutionError,
  type DurableExecutionErrorStorageValue,
} from '../../src/core/errors.js'
import { convertTaskExecutionStorageValueToTaskExecution } from '../../src/core/read-model.js'
import { createSuperjsonSerializer, type Serializer } from '../../src/core/serializer.js'
import type { TaskExecutionStatus } from '../../src/core/status.js'
import type { TaskExecutionStorageValue } from '../../src/core/storage.js'

const serializer = createSuperjsonSerializer()
const T = 1_700_000_000_000

const storedError: DurableExecutionErrorStorageValue = {
  errorType: 'generic',
  message: 'boom',
  isRetryable: false,
  isInternal: false,
}
const child = { taskId: 'child', executionId: 'te_child' }
const finalize = { taskId: 'finalize', executionId: 'te_finalize' }

function makeRow(overrides: Partial<TaskExecutionStorageValue>): TaskExecutionStorageValue {
  return {
    taskId: 'task',
    executionId: 'te_task',
    isSleepingTask: false,
    retryOptions: { maxAttempts: 2 },
    sleepMsBeforeRun: 5,
    timeoutMs: 1000,
    areChildrenSequential: false,
    input: serializer.serialize({ when: new Date(T) }) as string,
    status: 'ready',
    isFinished: false,
    retryAttempts: 1,
    startAt: T + 1,
    activeChildrenCount: 0,
    onChildrenFinishedProcessingStatus: 'idle',
    closeStatus: 'idle',
    needsPromiseCancellation: false,
    createdAt: T,
    updatedAt: T + 2,
    ...overrides,
  }
}

const commonExpected = {
  root: undefined,
  parent: undefined,
  taskId: 'task',
  executionId: 'te_task',
  sleepingTaskUniqueId: undefined,
  areChildrenSequential: false,
  retryOptions: { maxAttempts: 2 },
  sleepMsBeforeRun: 5,
  timeoutMs: 1000,
  input: { when: new Date(T) },
  retryAttempts: 1,
  startAt: new Date(T + 1),
  createdAt: new Date(T),
  updatedAt: new Date(T + 2),
}

// Short alias: the full name makes every assertion wrap.
function convert(row: TaskExecutionStorageValue, using: Serializer = serializer) {
  return convertTaskExecutionStorageValueToTaskExecution(row, using)
}

describe('convertTaskExecutionStorageValueToTaskExecution', () => {
  it('deserializes the input and turns the common timestamps into dates', async () => {
    const root = { taskId: 'root', executionId: 'te_root' }
    const parent = {
      ...root,
      indexInParentChildren: 3,
      isOnlyChildOfParent: false,
      isFinalizeOfParent: false,
    }
    const row = makeRow({ root, parent, sleepingTaskUniqueId: 'u1', areChildrenSequential: true })
    const execution = await convert(row)
    expect(execution).toMatchObject({
      ...commonExpected,
      root,
      parent,
      sleepingTaskUniqueId: 'u1',
      areChildrenSequential: true,
    })
  })

  it('converts ready with the previous error', async () => {
    expect(await convert(makeRow({ error: storedError }))).toStrictEqual({
      ...commonExpected,
      status: 'ready',
      error: storedError,
    })
  })

  it('converts running with executor and lease', async () => {
    const row = makeRow({
      status: 'running',
      executorId: 'de_1',
      startedAt: T + 3,
      expiresAt: T + 4,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'running',
      executorId: 'de_1',
      error: undefined,
      startedAt: new Date(T + 3),
      expiresAt: new Date(T + 4),
    })
  })

  it.each(['failed', 'timed_out'] as const)('converts %s, expiresAt undefined', async (status) => {
    const row = makeRow({
      status,
      isFinished: true,
      error: storedError,
      startedAt: T + 3,
      finishedAt: T + 5,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status,
      error: storedError,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      finishedAt: new Date(T + 5),
    })
  })

  it('converts waiting_for_children with its children and counter', async () => {
    const row = makeRow({
      status: 'waiting_for_children',
      startedAt: T + 3,
      waitingForChildrenStartedAt: T + 4,
      children: [child],
      activeChildrenCount: 1,
      runOutput: 'ignored',
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'waiting_for_children',
      children: [child],
      activeChildrenCount: 1,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      waitingForChildrenStartedAt: new Date(T + 4),
    })
  })

  it('converts waiting_for_finalize, giving [] for absent children', async () => {
    const row = makeRow({
      status: 'waiting_for_finalize',
      startedAt: T + 3,
      waitingForFinalizeStartedAt: T + 5,
      finalize,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'waiting_for_finalize',
      children: [],
      activeChildrenCount: 0,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      waitingForChildrenStartedAt: undefined,
      waitingForFinalizeStartedAt: new Date(T + 5),
      finalize,
    })
  })

  it('converts finalize_failed with error and finish time', async () => {
    const row = makeRow({
      status: 'finalize_failed',
      isFinished: true,
      error: storedError,
      startedAt: T + 3,
      waitingForChildrenStartedAt: T + 4,
      waitingForFinalizeStartedAt: T + 5,
      finishedAt: T + 6,
      children: [child],
      finalize,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'finalize_failed',
      error: storedError,
      children: [child],
      activeChildrenCount: 0,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      waitingForChildrenStartedAt: new Date(T + 4),
      waitingForFinalizeStartedAt: new Date(T + 5),
      finalize,
      finishedAt: new Date(T + 6),
    })
  })

  it('converts completed with the deserialized output', async () => {
    const row = makeRow({
      status: 'completed',
      isFinished: true,
      output: serializer.serialize(new Map([['a', 1n]])) as string,
      startedAt: T + 3,
      finishedAt: T + 6,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'completed',
      output: new Map([['a', 1n]]),
      children: [],
      activeChildrenCount: 0,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      waitingForChildrenStartedAt: undefined,
      waitingForFinalizeStartedAt: undefined,
      finalize: undefined,
      finishedAt: new Date(T + 6),
    })
  })

  it('converts cancelled keeping the executor of the interrupted run', async () => {
    const row = makeRow({
      status: 'cancelled',
      isFinished: true,
      error: { ...storedError, errorType: 'cancelled' },
      executorId: 'de_1',
      startedAt: T + 3,
      finishedAt: T + 6,
    })
    expect(await convert(row)).toStrictEqual({
      ...commonExpected,
      status: 'cancelled',
      error: { ...storedError, errorType: 'cancelled' },
      executorId: 'de_1',
      children: [],
      activeChildrenCount: 0,
      startedAt: new Date(T + 3),
      expiresAt: undefined,
      waitingForChildrenStartedAt: undefined,
      waitingForFinalizeStartedAt: undefined,
      finalize: undefined,
      finishedAt: new Date(T + 6),
    })
  })

  it('gives undefined startedAt for an execution cancelled before it ever ran', async () => {
    const row = makeRow({
      status: 'cancelled',
      isFinished: true,
      error: storedError,
      finishedAt: T + 6,
    })
    const execution = await convert(row)
    expect(execution.status === 'cancelled' && execution.startedAt).toBeUndefined()
  })

  it('deserializes the output only when the stored string is non-empty', async () => {
    const calls: Array<string> = []
    const recording: Serializer = {
      serialize: serializer.serialize,
      deserialize: (value) => {
        calls.push(value)
        return serializer.deserialize(value)
      },
    }
    const base = { status: 'completed' as const, isFinished: true, startedAt: T, finishedAt: T }
    for (const output of ['', undefined]) {
      const execution = await convert(makeRow({ ...base, output }), recording)
      expect(execution.status === 'completed' && execution.output).toBeUndefined()
    }
    expect(calls).toStrictEqual([makeRow({}).input, makeRow({}).input])
  })

  it('rejects a status outside the contract with a non-retryable error', async () => {
    const row = makeRow({ status: 'paused' as TaskExecutionStatus })
    const error = await convert(row).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({
      message: 'Invalid task execution status [status=paused]',
      isRetryable: false,
    })
  })

  it('turns an undeserializable input into a retryable DurableExecutionError', async () => {
    const row = makeRow({ input: 'not json' })
    const error = await convert(row).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error).toMatchObject({ isRetryable: true })
  })

  it('converts every contract status', async () => {
    const statuses: Array<TaskExecutionStatus> = [
      'ready', 'running', 'failed', 'timed_out', 'waiting_for_children',
      'waiting_for_finalize', 'finalize_failed', 'completed', 'cancelled',
    ]
    for (const status of statuses) {
      const execution = await convert(makeRow({ status }))
      expect(execution.status).toBe(status)
    }
  })
})
