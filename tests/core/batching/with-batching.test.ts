import { describe, expect, it } from 'vitest'

import { TaskExecutionsStorageWithBatching } from '../../../src/core/batching/index.js'
import { DurableExecutionError } from '../../../src/core/errors.js'
import { TaskExecutionsStorageRequestsError } from '../../../src/core/storage-requests-error.js'
import type {
  TaskExecutionsStorageGetByIdRequest,
  TaskExecutionsStorageWithoutBatching,
  TaskExecutionStorageValue,
} from '../../../src/core/storage.js'
import { makeRow } from './fake-storage.js'

type Deferred = { promise: Promise<void>; resolve: () => void }
function deferred(): Deferred {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * A single-request storage whose getById waits until the test releases it, logging when each
 * request starts and ends.
 */
function createGatedStorage() {
  const events: Array<string> = []
  const gates = new Map<string, Deferred>()
  const calls: Array<{ method: string; argument: unknown }> = []
  const record = (method: string) => (argument?: unknown) => {
    calls.push({ method, argument })
  }
  const gateOf = (executionId: string) => {
    let gate = gates.get(executionId)
    if (!gate) {
      gate = deferred()
      gates.set(executionId, gate)
    }
    return gate
  }
  const storage: TaskExecutionsStorageWithoutBatching = {
    getById: async (request: TaskExecutionsStorageGetByIdRequest) => {
      events.push(`start ${request.executionId}`)
      await gateOf(request.executionId).promise
      events.push(`end ${request.executionId}`)
      return request.executionId === 'missing' ? undefined : makeRow(request.executionId)
    },
    getBySleepingTaskUniqueId: (request) => makeRow(`by_${request.sleepingTaskUniqueId}`),
    updateById: (request) => record('updateById')(request),
    updateByIdAndInsertChildrenIfUpdated: (request) =>
      record('updateByIdAndInsertChildrenIfUpdated')(request),
    getByParentExecutionId: (request) => [makeRow(`child_of_${request.parentExecutionId}`)],
    updateByParentExecutionIdAndIsFinished: (request) =>
      record('updateByParentExecutionIdAndIsFinished')(request),
    insertMany: (rows) => record('insertMany')(rows),
    updateByStatusAndStartAtLessThanAndReturn: (request) => {
      record('updateByStatusAndStartAtLessThanAndReturn')(request)
      return [makeRow('claimed')]
    },
    updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn: () => [],
    updateByCloseStatusAndReturn: () => [],
    updateByStatusAndIsSleepingTaskAndExpiresAtLessThan: () => 7,
    updateByOnChildrenFinishedProcessingExpiresAtLessThan: () => 0,
    updateByCloseExpiresAtLessThan: () => 0,
    updateByExecutorIdAndNeedsPromiseCancellationAndReturn: () => [],
    updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus: () => 3,
    deleteById: (request) => record('deleteById')(request),
    deleteAll: () => record('deleteAll')(),
  }
  return { storage, events, calls, release: (id: string) => gateOf(id).resolve() }
}

describe('TaskExecutionsStorageWithBatching', () => {
  it('sends all requests of an array call at once by default', async () => {
    const { storage, events, release } = createGatedStorage()
    const batched = new TaskExecutionsStorageWithBatching(storage)

    const result = batched.getManyById([{ executionId: 'a' }, { executionId: 'b' }, { executionId: 'c' }])
    await flushMicrotasks()
    expect(events).toEqual(['start a', 'start b', 'start c'])

    release('c')
    release('b')
    release('a')
    const rows = await result
    expect(rows.map((row) => row?.executionId)).toEqual(['a', 'b', 'c'])
  })

  it('sends requests one after another in request order when parallel requests are disabled', async () => {
    const { storage, events, release } = createGatedStorage()
    const batched = new TaskExecutionsStorageWithBatching(storage, true)

    const result = batched.getManyById([
      { executionId: 'a' },
      { executionId: 'missing' },
      { executionId: 'c' },
    ])
    await flushMicrotasks()
    expect(events).toEqual(['start a'])

    release('c')
    release('missing')
    await flushMicrotasks()
    expect(events).toEqual(['start a'])

    release('a')
    const rows = await result
    expect(events).toEqual(['start a', 'end a', 'start missing', 'end missing', 'start c', 'end c'])
    expect(rows.map((row) => row?.executionId)).toEqual(['a', undefined, 'c'])
  })

  it('answers every array method with one result per request, in order', async () => {
    const { storage, calls } = createGatedStorage()
    const batched = new TaskExecutionsStorageWithBatching(storage)
    const update = { updatedAt: 1 }

    expect(
      (
        await batched.getManyBySleepingTaskUniqueId([
          { sleepingTaskUniqueId: 'x' },
          { sleepingTaskUniqueId: 'y' },
        ])
      ).map((row) => row?.executionId),
    ).toEqual(['by_x', 'by_y'])
    expect(
      (
        await batched.getManyByParentExecutionId([
          { parentExecutionId: 'p' },
          { parentExecutionId: 'q' },
        ])
      ).map((rows) => rows.map((row) => row.executionId)),
    ).toEqual([['child_of_p'], ['child_of_q']])

    await batched.updateManyById([
      { executionId: 'a', update },
      { executionId: 'b', update },
    ])
    await batched.updateManyByIdAndInsertChildrenIfUpdated([
      { executionId: 'a', update, childrenTaskExecutionsToInsertIfAnyUpdated: [] },
    ])
    await batched.updateManyByParentExecutionIdAndIsFinished([
      { parentExecutionId: 'p', isFinished: true, update },
    ])
    expect(calls.map((call) => call.method)).toEqual([
      'updateById',
      'updateById',
      'updateByIdAndInsertChildrenIfUpdated',
      'updateByParentExecutionIdAndIsFinished',
    ])
  })

  it.each([false, true])(
    'makes every update of a call and names the failed ones in a requests error (one after another: %s)',
    async (disableParallelRequests) => {
      const { storage, calls } = createGatedStorage()
      const refusal = DurableExecutionError.nonRetryable('b refused')
      storage.updateById = (request) => {
        calls.push({ method: 'updateById', argument: request.executionId })
        if (request.executionId === 'b') throw refusal
      }
      const batched = new TaskExecutionsStorageWithBatching(storage, disableParallelRequests)
      const update = { updatedAt: 1 }

      const error = await batched
        .updateManyById(['a', 'b', 'c'].map((executionId) => ({ executionId, update })))
        .catch((caught: unknown) => caught)

      expect(calls.map((call) => call.argument)).toEqual(['a', 'b', 'c'])
      expect(error).toBeInstanceOf(TaskExecutionsStorageRequestsError)
      const requestsError = error as TaskExecutionsStorageRequestsError
      expect(requestsError.requestErrors).toEqual([undefined, refusal, undefined])
      expect(requestsError.isRetryable).toBe(false)
      expect(requestsError.message).toBe(
        'updateManyById failed for 1 of 3 requests [ids=b]; the other requests took effect. ' +
          'First error: b refused',
      )
    },
  )

  it('reports what each update that took effect answered beside the failed one', async () => {
    const { storage } = createGatedStorage()
    const refusal = DurableExecutionError.nonRetryable('b refused')
    storage.updateById = (request) => {
      if (request.executionId === 'b') throw refusal
      return request.executionId === 'a'
    }
    const batched = new TaskExecutionsStorageWithBatching(storage)

    const error = await batched
      .updateManyById(['a', 'b', 'c'].map((executionId) => ({ executionId, update: { updatedAt: 1 } })))
      .catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(TaskExecutionsStorageRequestsError)
    expect((error as TaskExecutionsStorageRequestsError).requestResults).toEqual([true, undefined, false])
  })

  it('passes the error of a lone update through unchanged', async () => {
    const { storage } = createGatedStorage()
    const refusal = new Error('a refused')
    storage.updateByParentExecutionIdAndIsFinished = () => {
      throw refusal
    }
    const batched = new TaskExecutionsStorageWithBatching(storage)

    await expect(
      batched.updateManyByParentExecutionIdAndIsFinished([
        { parentExecutionId: 'a', isFinished: false, update: { updatedAt: 1 } },
      ]),
    ).rejects.toBe(refusal)
  })

  it('passes inserts, claims, sweeps and deletes through unchanged', async () => {
    const { storage, calls } = createGatedStorage()
    const batched = new TaskExecutionsStorageWithBatching(storage, true)
    const rows: Array<TaskExecutionStorageValue> = [makeRow('a'), makeRow('b')]
    const claim = {
      status: 'ready' as const,
      startAtLessThan: 5,
      update: { updatedAt: 1 },
      updateExpiresAtWithStartedAt: 9,
      limit: 4,
    }

    await batched.insertMany(rows)
    const claimed = await batched.updateByStatusAndStartAtLessThanAndReturn(claim)
    const expired = await batched.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
      status: 'running',
      isSleepingTask: true,
      expiresAtLessThan: 1,
      update: { updatedAt: 1 },
      limit: 1,
    })
    const released = await batched.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
      { isFinished: true, closeStatus: 'idle', update: { updatedAt: 1 }, limit: 1 },
    )
    await batched.deleteById({ executionId: 'a' })
    await batched.deleteAll()

    expect(claimed.map((row) => row.executionId)).toEqual(['claimed'])
    expect(expired).toBe(7)
    expect(released).toBe(3)
    expect(calls).toEqual([
      { method: 'insertMany', argument: rows },
      { method: 'updateByStatusAndStartAtLessThanAndReturn', argument: claim },
      { method: 'deleteById', argument: { executionId: 'a' } },
      { method: 'deleteAll', argument: undefined },
    ])
  })
})
