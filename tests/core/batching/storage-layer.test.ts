import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import {
  MAX_PARENTS_PER_CHILD_RESULTS_CALL,
  TaskExecutionsStorageLayer,
  type TaskExecutionsStorageLayerOptions,
} from '../../../src/core/batching/index.js'
import { DurableExecutionError } from '../../../src/core/errors.js'
import { TaskExecutionsStorageRequestsError } from '../../../src/core/storage-requests-error.js'
import type {
  TaskExecutionsStorageGetByIdRequest,
  TaskExecutionsStorageUpdateByIdRequest,
  TaskExecutionStorageValue,
} from '../../../src/core/storage.js'
import { FakeStorage, makeRow, makeRows } from './fake-storage.js'

const BATCH_WINDOW_MS = 10

function createLayer(
  storage: FakeStorage,
  options: Partial<TaskExecutionsStorageLayerOptions> = {},
): TaskExecutionsStorageLayer {
  return new TaskExecutionsStorageLayer(storage, {
    enableBatching: true,
    batchWindowMs: BATCH_WINDOW_MS,
    maxRetryAttempts: 0,
    enableStats: false,
    ...options,
  })
}

function storageWithRows(count: number): FakeStorage {
  const storage = new FakeStorage()
  for (const row of makeRows('te', count)) storage.rows.set(row.executionId, row)
  return storage
}

function update(executionId: string, retryAttempts: number): TaskExecutionsStorageUpdateByIdRequest {
  return { executionId, update: { retryAttempts, updatedAt: retryAttempts } }
}

function requestSizes(calls: Array<unknown>): Array<number> {
  return calls.map((call) => (call as Array<unknown>).length)
}

type Deferred = { promise: Promise<void>; resolve: () => void }
function deferred(): Deferred {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('TaskExecutionsStorageLayer batching', () => {
  it('coalesces 100 concurrent getById calls into one getManyById call with results by position', async () => {
    const storage = storageWithRows(100)
    const layer = createLayer(storage)
    layer.start()

    const pending = Array.from({ length: 100 }, (_, index) =>
      layer.getById({ executionId: `te_${99 - index}` }),
    )
    expect(storage.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    const results = await Promise.all(pending)

    expect(storage.calls).toHaveLength(1)
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([100])
    expect(results.map((row) => row?.executionId)).toEqual(
      Array.from({ length: 100 }, (_, index) => `te_${99 - index}`),
    )
    await layer.shutdown()
  })

  it(`reads children's results for ${MAX_PARENTS_PER_CHILD_RESULTS_CALL} parents a call, with whole children where the storage has no lean read`, async () => {
    const storage = storageWithRows(1)
    const layer = createLayer(storage)
    layer.start()
    const pending = Array.from({ length: MAX_PARENTS_PER_CHILD_RESULTS_CALL + 1 }, (_, i) =>
      layer.getChildResultsByParentExecutionId({ parentExecutionId: `p_${i}` }),
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)
    expect(requestSizes(storage.callsOf('getManyByParentExecutionId'))).toEqual([MAX_PARENTS_PER_CHILD_RESULTS_CALL, 1])
    await layer.shutdown()
  })

  it('splits batches at each method maxBatchSize', async () => {
    const storage = storageWithRows(101)
    const layer = createLayer(storage)
    layer.start()

    const pending: Array<Promise<unknown>> = []
    for (let i = 0; i < 101; i++) pending.push(layer.getById({ executionId: `te_${i}` }))
    for (let i = 0; i < 51; i++) {
      pending.push(layer.getBySleepingTaskUniqueId({ sleepingTaskUniqueId: `s_${i}` }))
    }
    for (let i = 0; i < 101; i++) pending.push(layer.updateById(update(`te_${i}`, 1)))
    for (let i = 0; i < 4; i++) pending.push(layer.getByParentExecutionId({ parentExecutionId: `p_${i}` }))
    for (let i = 0; i < 7; i++) {
      pending.push(
        layer.updateByParentExecutionIdAndIsFinished({
          parentExecutionId: `p_${i}`,
          isFinished: false,
          update: { updatedAt: 1 },
        }),
      )
    }
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)

    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([100, 1])
    expect(requestSizes(storage.callsOf('getManyBySleepingTaskUniqueId'))).toEqual([50, 1])
    expect(requestSizes(storage.callsOf('updateManyById'))).toEqual([100, 1])
    expect(requestSizes(storage.callsOf('getManyByParentExecutionId'))).toEqual([3, 1])
    expect(requestSizes(storage.callsOf('updateManyByParentExecutionIdAndIsFinished'))).toEqual([
      3, 3, 1,
    ])
    await layer.shutdown()
  })

  it('flattens the rows of batched inserts into insertMany calls of at most 100 rows', async () => {
    const storage = new FakeStorage()
    const layer = createLayer(storage)
    layer.start()

    const pending = Array.from({ length: 30 }, (_, caller) =>
      layer.insertMany(makeRows(`c${caller}`, 5)),
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)

    expect(requestSizes(storage.callsOf('insertMany'))).toEqual([100, 50])
    expect(storage.rows.size).toBe(150)
    await layer.shutdown()
  })

  it('sends inserts of more than 5 rows at once, outside any batch', async () => {
    const storage = new FakeStorage()
    const layer = createLayer(storage)
    layer.start()

    const small = layer.insertMany(makeRows('small', 5))
    await layer.insertMany(makeRows('large', 6))
    expect(requestSizes(storage.callsOf('insertMany'))).toEqual([6])

    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await small
    expect(requestSizes(storage.callsOf('insertMany'))).toEqual([6, 5])
    await layer.shutdown()
  })

  it('does not call the storage for an insert of no rows', async () => {
    const storage = new FakeStorage()
    const layer = createLayer(storage)
    await layer.insertMany([])
    expect(storage.calls).toHaveLength(0)
  })

  it('sends update-and-insert requests with more than 5 children at once, and batches smaller ones', async () => {
    const storage = storageWithRows(2)
    const layer = createLayer(storage)
    layer.start()

    const small = layer.updateByIdAndInsertChildrenIfUpdated({
      ...update('te_0', 1),
      childrenTaskExecutionsToInsertIfAnyUpdated: makeRows('small', 5),
    })
    await layer.updateByIdAndInsertChildrenIfUpdated({
      ...update('te_1', 1),
      childrenTaskExecutionsToInsertIfAnyUpdated: makeRows('large', 6),
    })
    expect(storage.callsOf('updateManyByIdAndInsertChildrenIfUpdated')).toHaveLength(1)

    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await small
    expect(storage.callsOf('updateManyByIdAndInsertChildrenIfUpdated')).toHaveLength(2)
    expect(storage.rows.size).toBe(2 + 6 + 5)
    await layer.shutdown()
  })

  it('splits update-and-insert batches at 100 children per call', async () => {
    const storage = storageWithRows(30)
    const layer = createLayer(storage)
    layer.start()

    const pending = Array.from({ length: 30 }, (_, index) =>
      layer.updateByIdAndInsertChildrenIfUpdated({
        ...update(`te_${index}`, 1),
        childrenTaskExecutionsToInsertIfAnyUpdated: makeRows(`child${index}`, 4),
      }),
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)

    expect(requestSizes(storage.callsOf('updateManyByIdAndInsertChildrenIfUpdated'))).toEqual([
      25, 5,
    ])
    await layer.shutdown()
  })

  it('sends an update-and-insert without children as an updateById', async () => {
    const storage = storageWithRows(1)
    const layer = createLayer(storage)
    await layer.updateByIdAndInsertChildrenIfUpdated({
      executionId: 'te_0',
      filters: { status: 'ready' },
      update: { status: 'running', updatedAt: 5 },
      childrenTaskExecutionsToInsertIfAnyUpdated: [],
    })
    expect(storage.calls).toEqual([
      {
        method: 'updateManyById',
        argument: [
          { executionId: 'te_0', filters: { status: 'ready' }, update: { status: 'running', updatedAt: 5 } },
        ],
      },
    ])
  })

  it('fails only the caller whose request makes a batched call fail', async () => {
    const storage = storageWithRows(3)
    storage.overrides.getManyById = (requests: Array<TaskExecutionsStorageGetByIdRequest>) => {
      if (requests.some((request) => request.executionId === 'bad')) {
        throw new Error('storage rejected bad')
      }
      return requests.map((request) => storage.rows.get(request.executionId))
    }
    const logged: Array<string> = []
    const layer = createLayer(storage, {
      logger: { error: (message) => logged.push(message) },
    })
    layer.start()

    const first = layer.getById({ executionId: 'te_0' })
    const bad = layer.getById({ executionId: 'bad' })
    const last = layer.getById({ executionId: 'te_2' })
    const badOutcome = bad.then(
      () => 'resolved',
      (error: unknown) => error,
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)

    expect((await first)?.executionId).toBe('te_0')
    expect((await last)?.executionId).toBe('te_2')
    const error = await badOutcome
    expect(error).toBeInstanceOf(DurableExecutionError)
    expect((error as Error).message).toBe('storage rejected bad')
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([3, 1, 1, 1])
    expect(logged).toEqual([
      'Batched storage call failed; sending each of its 3 requests alone [method=getManyById]',
    ])
    await layer.shutdown()
  })

  it('re-sends the rows of each caller alone when a merged insert fails', async () => {
    const storage = new FakeStorage()
    storage.rows.set('taken', makeRow('taken'))
    const layer = createLayer(storage)
    layer.start()

    const good = layer.insertMany([makeRow('a'), makeRow('b')])
    const duplicate = layer.insertMany([makeRow('taken')]).then(
      () => 'inserted',
      (error: unknown) => (error as Error).message,
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)

    await good
    expect(await duplicate).toBe('duplicate executionId taken')
    expect(requestSizes(storage.callsOf('insertMany'))).toEqual([3, 2, 1])
    expect([...storage.rows.keys()].sort()).toEqual(['a', 'b', 'taken'])
    await layer.shutdown()
  })

  it('keeps two updates of the same row in one window in call order, in separate calls', async () => {
    const storage = storageWithRows(2)
    const layer = createLayer(storage)
    layer.start()

    const pending = [
      layer.updateById(update('te_0', 1)),
      layer.updateById(update('te_1', 1)),
      layer.updateById(update('te_0', 2)),
      layer.updateById(update('te_0', 3)),
    ]
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)

    const received = storage
      .callsOf('updateManyById')
      .map((call) =>
        (call as Array<TaskExecutionsStorageUpdateByIdRequest>).map(
          (request) => `${request.executionId}:${request.update.retryAttempts}`,
        ),
      )
    expect(received).toEqual([['te_0:1', 'te_1:1'], ['te_0:2'], ['te_0:3']])
    expect(storage.rows.get('te_0')?.retryAttempts).toBe(3)
    await layer.shutdown()
  })

  it('holds an update of a row until an earlier batched call on that row has finished', async () => {
    const storage = storageWithRows(101)
    const firstCallMayFinish = deferred()
    const events: Array<string> = []
    storage.overrides.updateManyById = async (
      requests: Array<TaskExecutionsStorageUpdateByIdRequest>,
    ) => {
      events.push(`start ${requests.length}`)
      if (requests.length === 100) await firstCallMayFinish.promise
      events.push(`end ${requests.length}`)
    }
    const layer = createLayer(storage)
    layer.start()

    // 101 updates fill one DataLoader batch; the 101st, on the same row as the first, opens another.
    const pending = Array.from({ length: 100 }, (_, index) => layer.updateById(update(`te_${index}`, 1)))
    pending.push(layer.updateById(update('te_0', 2)))
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    expect(events).toEqual(['start 100'])

    firstCallMayFinish.resolve()
    await Promise.all(pending)
    expect(events).toEqual(['start 100', 'end 100', 'start 1', 'end 1'])
    await layer.shutdown()
  })

  it('fails every caller with a non-retryable error when the storage answers with the wrong length', async () => {
    const storage = storageWithRows(3)
    storage.overrides.getManyById = () => [makeRow('te_0')]
    const layer = createLayer(storage, { maxRetryAttempts: 3 })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((executionId) =>
      layer.getById({ executionId }).then(
        () => undefined,
        (error: unknown) => error as DurableExecutionError,
      ),
    )
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    const errors = await Promise.all(outcomes)

    for (const error of errors) {
      expect(error).toBeInstanceOf(DurableExecutionError)
      expect(error?.isRetryable).toBe(false)
      expect(error?.message).toContain('getManyById')
      expect(error?.message).toContain('[requestsCount=3] [resultsCount=1]')
    }
    expect(storage.callsOf('getManyById')).toHaveLength(1)
    await layer.shutdown()
  })

  it('rejects an answer of the wrong type without retrying', async () => {
    const storage = new FakeStorage()
    storage.overrides.getManyByParentExecutionId = () => [undefined]
    const layer = createLayer(storage, { maxRetryAttempts: 3 })

    const error = await layer
      .getByParentExecutionId({ parentExecutionId: 'p' })
      .then(
        () => undefined,
        (thrown: unknown) => thrown as DurableExecutionError,
      )

    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error?.isRetryable).toBe(false)
    expect(error?.message).toContain('result 0 is undefined')
    expect(storage.callsOf('getManyByParentExecutionId')).toHaveLength(1)
  })

  it('accepts any answer of a void array method', async () => {
    const storage = storageWithRows(2)
    storage.overrides.updateManyById = () => null
    const layer = createLayer(storage)
    layer.start()

    const pending = [layer.updateById(update('te_0', 1)), layer.updateById(update('te_1', 1))]
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await expect(Promise.all(pending)).resolves.toEqual([undefined, undefined])
    await layer.shutdown()
  })

  it('answers pending callers at shutdown, leaves no timer, and then calls the storage directly', async () => {
    const storage = storageWithRows(3)
    const layer = createLayer(storage)
    layer.start()

    const pending = [
      layer.getById({ executionId: 'te_0' }),
      layer.getById({ executionId: 'te_1' }),
      layer.updateById(update('te_2', 1)),
    ]
    await layer.shutdown()

    const [first, second] = await Promise.all(pending)
    expect((first as { executionId: string }).executionId).toBe('te_0')
    expect((second as { executionId: string }).executionId).toBe('te_1')
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([2])
    expect(vi.getTimerCount()).toBe(0)

    await layer.getById({ executionId: 'te_2' })
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([2, 1])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('calls the storage with one request per call before start and when batching is off', async () => {
    const storage = storageWithRows(2)
    const notStarted = createLayer(storage)
    const disabled = createLayer(storage, { enableBatching: false })
    disabled.start()

    await Promise.all([
      notStarted.getById({ executionId: 'te_0' }),
      notStarted.getById({ executionId: 'te_1' }),
      disabled.getById({ executionId: 'te_0' }),
      disabled.getById({ executionId: 'te_1' }),
    ])

    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([1, 1, 1, 1])
    expect(vi.getTimerCount()).toBe(0)
    await disabled.shutdown()
  })
})

describe('TaskExecutionsStorageLayer.updateManyById', () => {
  it('sends requests held together in shared calls of at most 100 even when batching is off', async () => {
    const storage = storageWithRows(150)
    const layer = createLayer(storage, { enableBatching: false })
    layer.start()

    const outcomes = await layer.updateManyById([...storage.rows.keys()].map((id) => update(id, 3)))

    expect(outcomes.every((outcome) => outcome.status === 'fulfilled')).toBe(true)
    expect(requestSizes(storage.callsOf('updateManyById'))).toEqual([100, 50])
    expect([...storage.rows.values()].every((row) => row.retryAttempts === 3)).toBe(true)
    await layer.shutdown()
  })

  it('settles each request with its own outcome when the shared call fails for one of them', async () => {
    const storage = storageWithRows(3)
    const rejected = DurableExecutionError.nonRetryable('te_1 rejected by the storage')
    storage.overrides.updateManyById = (requests: Array<TaskExecutionsStorageUpdateByIdRequest>) => {
      if (requests.some((request) => request.executionId === 'te_1')) throw rejected
      for (const request of requests) {
        storage.rows.set(request.executionId, { ...storage.rows.get(request.executionId)!, ...request.update })
      }
    }
    const layer = createLayer(storage, { enableBatching: false, logger: { error: () => {} } })
    layer.start()

    const outcomes = await layer.updateManyById(['te_0', 'te_1', 'te_2'].map((id) => update(id, 5)))

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(storage.rows.get('te_0')?.retryAttempts).toBe(5)
    expect(storage.rows.get('te_1')?.retryAttempts).toBe(0)
    expect(storage.rows.get('te_2')?.retryAttempts).toBe(5)
    await layer.shutdown()
  })
})

describe('TaskExecutionsStorageLayer batch timing', () => {
  it('sends a lone request on an idle method at the next turn, without waiting for the window', async () => {
    const storage = storageWithRows(2)
    const layer = createLayer(storage)
    layer.start()

    const first = layer.getById({ executionId: 'te_0' })
    expect(storage.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect((await first)?.executionId).toBe('te_0')
    // A caller polling one request after another is not held for a window each time.
    const second = layer.getById({ executionId: 'te_1' })
    await vi.advanceTimersByTimeAsync(1)
    expect((await second)?.executionId).toBe('te_1')
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([1, 1])
    await layer.shutdown()
  })

  it('gathers requests made while a batch of the method is being answered for one window', async () => {
    const storage = storageWithRows(3)
    const firstCallMayFinish = deferred()
    storage.overrides.getManyById = async (requests: Array<TaskExecutionsStorageGetByIdRequest>) => {
      if (requests.some((request) => request.executionId === 'te_0')) await firstCallMayFinish.promise
      return requests.map((request) => storage.rows.get(request.executionId))
    }
    const layer = createLayer(storage)
    layer.start()

    const first = layer.getById({ executionId: 'te_0' })
    await vi.advanceTimersByTimeAsync(1)
    const second = layer.getById({ executionId: 'te_1' })
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS - 1)
    const third = layer.getById({ executionId: 'te_2' })
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([1])
    await vi.advanceTimersByTimeAsync(1)
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([1, 2])
    firstCallMayFinish.resolve()
    expect((await Promise.all([first, second, third])).map((row) => row?.executionId)).toEqual([
      'te_0',
      'te_1',
      'te_2',
    ])
    await layer.shutdown()
  })

  it('sends a full batch at once and holds the overflow for one window', async () => {
    const storage = storageWithRows(101)
    const layer = createLayer(storage)
    layer.start()

    const pending = Array.from({ length: 101 }, (_, index) => layer.getById({ executionId: `te_${index}` }))
    await Promise.resolve()
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([100])
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS - 1)
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([100])
    await vi.advanceTimersByTimeAsync(1)
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([100, 1])
    expect(await Promise.all(pending)).toHaveLength(101)
    await layer.shutdown()
  })
})

describe('TaskExecutionsStorageLayer retries', () => {
  it('retries a failing call with plain errors up to maxRetryAttempts extra times', async () => {
    const storage = storageWithRows(1)
    let failuresLeft = 2
    storage.overrides.getManyById = (requests: Array<TaskExecutionsStorageGetByIdRequest>) => {
      if (failuresLeft-- > 0) throw new Error('connection reset')
      return requests.map((request) => storage.rows.get(request.executionId))
    }
    const layer = createLayer(storage, { enableBatching: false, maxRetryAttempts: 2 })

    const result = layer.getById({ executionId: 'te_0' })
    expect(storage.callsOf('getManyById')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(24)
    expect(storage.callsOf('getManyById')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(storage.callsOf('getManyById')).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(49)
    expect(storage.callsOf('getManyById')).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(storage.callsOf('getManyById')).toHaveLength(3)
    expect((await result)?.executionId).toBe('te_0')
  })

  it('gives up after maxRetryAttempts extra attempts with a retryable DurableExecutionError', async () => {
    const storage = new FakeStorage()
    storage.overrides.updateByCloseStatusAndReturn = () => {
      throw new Error('still down')
    }
    const layer = createLayer(storage, { maxRetryAttempts: 1 })

    const outcome = layer
      .updateByCloseStatusAndReturn({ closeStatus: 'ready', update: { updatedAt: 1 }, limit: 10 })
      .then(
        () => undefined,
        (error: unknown) => error as DurableExecutionError,
      )
    await vi.runAllTimersAsync()
    const error = await outcome

    expect(error).toBeInstanceOf(DurableExecutionError)
    expect(error?.isRetryable).toBe(true)
    expect(error?.message).toBe('still down')
    expect(storage.callsOf('updateByCloseStatusAndReturn')).toHaveLength(2)
  })

  it('does not retry a non-retryable DurableExecutionError', async () => {
    const storage = new FakeStorage()
    const refusal = DurableExecutionError.nonRetryable('refused')
    storage.overrides.updateManyById = () => {
      throw refusal
    }
    const layer = createLayer(storage, { enableBatching: false, maxRetryAttempts: 5 })

    await expect(layer.updateById(update('te_0', 1))).rejects.toBe(refusal)
    expect(storage.callsOf('updateManyById')).toHaveLength(1)
  })

  it('retries a request re-sent alone after a failed batch', async () => {
    const storage = storageWithRows(2)
    let singleFailuresLeft = 1
    storage.overrides.getManyById = (requests: Array<TaskExecutionsStorageGetByIdRequest>) => {
      if (requests.length > 1) throw new Error('batch failed')
      if (requests[0]?.executionId === 'te_1' && singleFailuresLeft-- > 0) {
        throw new Error('flaky')
      }
      return requests.map((request) => storage.rows.get(request.executionId))
    }
    const layer = createLayer(storage, { maxRetryAttempts: 1 })
    layer.start()

    const pending = [layer.getById({ executionId: 'te_0' }), layer.getById({ executionId: 'te_1' })]
    await vi.runAllTimersAsync()
    const results = await Promise.all(pending)

    expect(results.map((row) => row?.executionId)).toEqual(['te_0', 'te_1'])
    expect(requestSizes(storage.callsOf('getManyById'))).toEqual([2, 1, 1, 1])
    await layer.shutdown()
  })
})

describe('TaskExecutionsStorageLayer per-request errors', () => {
  /**
   * A storage whose batched updateManyById applies every request but those whose id is in
   * `failures`, then reports the outcome of each with a requests error of `reportedLength`
   * entries (one per request unless given). Single requests are applied normally.
   */
  function storageApplyingAllBut(
    failures: Map<string, unknown>,
    reportedLength?: number,
  ): { storage: FakeStorage; applied: Array<string> } {
    const storage = storageWithRows(3)
    const applied: Array<string> = []
    storage.overrides.updateManyById = (requests: Array<TaskExecutionsStorageUpdateByIdRequest>) => {
      const errors = requests.map((request) => failures.get(request.executionId))
      for (const [index, request] of requests.entries()) {
        if (requests.length > 1 && errors[index] !== undefined) continue
        applied.push(request.executionId)
        const row = storage.rows.get(request.executionId)!
        storage.rows.set(request.executionId, { ...row, ...request.update })
      }
      if (requests.length === 1 || errors.every((error) => error === undefined)) return
      const keys = requests.map((request) => request.executionId)
      throw new TaskExecutionsStorageRequestsError(
        'updateManyById',
        keys,
        errors.slice(0, reportedLength ?? errors.length),
      )
    }
    return { storage, applied }
  }

  function settle(promise: Promise<unknown>): Promise<string> {
    return promise.then(
      () => 'ok',
      (error: unknown) => `failed: ${(error as Error).message}`,
    )
  }

  it('answers the callers whose requests took effect without sending their requests again', async () => {
    const rejected = DurableExecutionError.nonRetryable('te_1 rejected by the storage')
    const { storage, applied } = storageApplyingAllBut(new Map([['te_1', rejected]]))
    const logged: Array<string> = []
    const layer = createLayer(storage, {
      maxRetryAttempts: 3,
      logger: { error: (message) => logged.push(message) },
    })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((id) => settle(layer.updateById(update(id, 7))))
    await vi.runAllTimersAsync()

    expect(await Promise.all(outcomes)).toEqual([
      'ok',
      'failed: te_1 rejected by the storage',
      'ok',
    ])
    expect(requestSizes(storage.callsOf('updateManyById'))).toEqual([3])
    expect(applied).toEqual(['te_0', 'te_2'])
    expect(storage.rows.get('te_1')?.retryAttempts).toBe(0)
    expect(logged).toEqual([])
    await layer.shutdown()
  })

  it('answers the callers whose requests took effect with the match the storage reported for each', async () => {
    const storage = storageWithRows(3)
    const refusal = DurableExecutionError.nonRetryable('te_1 refused')
    storage.overrides.updateManyById = (requests: Array<TaskExecutionsStorageUpdateByIdRequest>) => {
      const keys = requests.map((request) => request.executionId)
      // te_0 matched, te_1 was refused, te_2 matched nothing (its writer's lease was gone).
      throw new TaskExecutionsStorageRequestsError('updateManyById', keys, [undefined, refusal, undefined], [true, undefined, false])
    }
    const layer = createLayer(storage, { maxRetryAttempts: 3 })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((id) => layer.updateById(update(id, 7)).catch((error: unknown) => error))
    await vi.runAllTimersAsync()

    expect(await Promise.all(outcomes)).toEqual([true, refusal, false])
    expect(requestSizes(storage.callsOf('updateManyById'))).toEqual([3])
    await layer.shutdown()
  })

  it('answers the callers whose requests took effect as unknown when the storage reported no matches', async () => {
    const { storage } = storageApplyingAllBut(new Map([['te_1', DurableExecutionError.nonRetryable('te_1 rejected')]]))
    const layer = createLayer(storage, { maxRetryAttempts: 3 })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((id) => layer.updateById(update(id, 7)).catch((error: unknown) => String(error)))
    await vi.runAllTimersAsync()

    expect(await Promise.all(outcomes)).toEqual([undefined, expect.stringContaining('te_1 rejected'), undefined])
    await layer.shutdown()
  })

  it('retries only the failed request, alone, when its own error is retryable', async () => {
    const { storage, applied } = storageApplyingAllBut(
      new Map([['te_1', new Error('te_1 hit a lock timeout')]]),
    )
    const layer = createLayer(storage, { maxRetryAttempts: 1 })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((id) => settle(layer.updateById(update(id, 7))))
    await vi.runAllTimersAsync()

    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'ok'])
    const calls = storage.callsOf('updateManyById') as Array<Array<TaskExecutionsStorageUpdateByIdRequest>>
    expect(calls.map((requests) => requests.map((request) => request.executionId))).toEqual([
      ['te_0', 'te_1', 'te_2'],
      ['te_1'],
    ])
    expect(applied).toEqual(['te_0', 'te_2', 'te_1'])
    await layer.shutdown()
  })

  it('gives a lone request its own error rather than the requests error around it', async () => {
    const storage = storageWithRows(1)
    const refusal = DurableExecutionError.nonRetryable('te_0 refused')
    storage.overrides.updateManyById = () => {
      throw new TaskExecutionsStorageRequestsError('updateManyById', ['te_0'], [refusal])
    }
    const layer = createLayer(storage, { enableBatching: false, maxRetryAttempts: 2 })

    await expect(layer.updateById(update('te_0', 1))).rejects.toBe(refusal)
    expect(storage.callsOf('updateManyById')).toHaveLength(1)
  })

  it('sends every request again alone when the requests error does not cover the whole batch', async () => {
    const { storage, applied } = storageApplyingAllBut(
      new Map([['te_1', DurableExecutionError.nonRetryable('te_1 rejected')]]),
      2,
    )
    const logged: Array<string> = []
    const layer = createLayer(storage, { logger: { error: (message) => logged.push(message) } })
    layer.start()

    const outcomes = ['te_0', 'te_1', 'te_2'].map((id) => settle(layer.updateById(update(id, 7))))
    await vi.runAllTimersAsync()

    // Alone, te_1 is applied by this storage: the old behaviour re-sends everything.
    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'ok'])
    expect(requestSizes(storage.callsOf('updateManyById'))).toEqual([3, 1, 1, 1])
    expect(applied.toSorted()).toEqual(['te_0', 'te_0', 'te_1', 'te_2', 'te_2'])
    expect(logged).toEqual([
      'Batched storage call failed; sending each of its 3 requests alone [method=updateManyById]',
    ])
    await layer.shutdown()
  })

  it("maps the rows of a failed insert back to their callers and fails a caller if any of its rows failed", async () => {
    const storage = new FakeStorage()
    storage.rows.set('taken', makeRow('taken'))
    storage.overrides.insertMany = (rows: Array<TaskExecutionStorageValue>) => {
      if (rows.length === 1) {
        for (const row of rows) storage.rows.set(row.executionId, row)
        return
      }
      // All or none: nothing is inserted; the duplicate row says why, the others were rolled back.
      const errors = rows.map((row) =>
        row.executionId === 'taken'
          ? DurableExecutionError.nonRetryable('duplicate executionId taken')
          : DurableExecutionError.retryable(`${row.executionId} rolled back`),
      )
      throw new TaskExecutionsStorageRequestsError(
        'insertMany',
        rows.map((row) => row.executionId),
        errors,
      )
    }
    const layer = createLayer(storage, { maxRetryAttempts: 1 })
    layer.start()

    const withDuplicate = settle(layer.insertMany([makeRow('a'), makeRow('taken')]))
    const good = settle(layer.insertMany([makeRow('c')]))
    await vi.runAllTimersAsync()

    expect(await withDuplicate).toBe('failed: duplicate executionId taken')
    expect(await good).toBe('ok')
    const calls = storage.callsOf('insertMany') as Array<Array<TaskExecutionStorageValue>>
    expect(calls.map((rows) => rows.map((row) => row.executionId))).toEqual([
      ['a', 'taken', 'c'],
      ['c'],
    ])
    expect([...storage.rows.keys()].sort()).toEqual(['c', 'taken'])
    await layer.shutdown()
  })

  it('answers an insert caller whose rows all took effect as done', async () => {
    // Inserts row by row, which the contract forbids (it cannot see callers); here each caller's
    // rows happen to succeed or fail together, so the mapping of positions to callers shows.
    const storage = new FakeStorage()
    storage.overrides.insertMany = (rows: Array<TaskExecutionStorageValue>) => {
      const errors = rows.map((row) =>
        row.executionId === 'bad' ? DurableExecutionError.nonRetryable('bad row') : undefined,
      )
      for (const [index, row] of rows.entries()) {
        if (errors[index] === undefined) storage.rows.set(row.executionId, row)
      }
      if (errors.some((error) => error !== undefined)) {
        throw new TaskExecutionsStorageRequestsError(
          'insertMany',
          rows.map((row) => row.executionId),
          errors,
        )
      }
    }
    const layer = createLayer(storage, { maxRetryAttempts: 1 })
    layer.start()

    const first = settle(layer.insertMany([makeRow('a'), makeRow('b')]))
    const bad = settle(layer.insertMany([makeRow('bad')]))
    const last = settle(layer.insertMany([makeRow('c')]))
    await vi.runAllTimersAsync()

    expect([await first, await bad, await last]).toEqual(['ok', 'failed: bad row', 'ok'])
    expect(requestSizes(storage.callsOf('insertMany'))).toEqual([4])
    expect([...storage.rows.keys()].sort()).toEqual(['a', 'b', 'c'])
    await layer.shutdown()
  })
})

describe('TaskExecutionsStorageLayer claims and sweeps', () => {
  it('answers claims and sweeps with limit <= 0 without calling the storage', async () => {
    const storage = new FakeStorage()
    const layer = createLayer(storage)
    const update = { updatedAt: 1 }

    expect(
      await layer.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: 1,
        update,
        updateExpiresAtWithStartedAt: 1,
        limit: 0,
      }),
    ).toEqual([])
    expect(
      await layer.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
        { status: 'waiting_for_children', onChildrenFinishedProcessingStatus: 'idle', update, limit: -1 },
      ),
    ).toEqual([])
    expect(await layer.updateByCloseStatusAndReturn({ closeStatus: 'ready', update, limit: 0 })).toEqual(
      [],
    )
    expect(
      await layer.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
        status: 'running',
        isSleepingTask: false,
        expiresAtLessThan: 1,
        update,
        limit: 0,
      }),
    ).toBe(0)
    expect(
      await layer.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
        onChildrenFinishedProcessingExpiresAtLessThan: 1,
        update,
        limit: 0,
      }),
    ).toBe(0)
    expect(
      await layer.updateByCloseExpiresAtLessThan({ closeExpiresAtLessThan: 1, update, limit: 0 }),
    ).toBe(0)
    expect(
      await layer.updateByExecutorIdAndNeedsPromiseCancellationAndReturn({
        executorId: 'de_1',
        needsPromiseCancellation: true,
        update,
        limit: 0,
      }),
    ).toEqual([])
    expect(
      await layer.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
        isFinished: true,
        closeStatus: 'idle',
        update,
        limit: 0,
      }),
    ).toBe(0)
    expect(storage.calls).toHaveLength(0)
  })

  it('passes claims with a positive limit to the storage unchanged', async () => {
    const storage = new FakeStorage()
    const claimed = [makeRow('te_0')]
    storage.overrides.updateByStatusAndStartAtLessThanAndReturn = () => claimed
    const layer = createLayer(storage)
    const request = {
      status: 'ready' as const,
      startAtLessThan: 1,
      update: { updatedAt: 1 },
      updateExpiresAtWithStartedAt: 1,
      limit: 2,
    }

    expect(await layer.updateByStatusAndStartAtLessThanAndReturn(request)).toBe(claimed)
    expect(storage.calls).toEqual([
      { method: 'updateByStatusAndStartAtLessThanAndReturn', argument: request },
    ])
  })
})

describe('TaskExecutionsStorageLayer stats', () => {
  it('reports storage calls per method, most called first', async () => {
    const storage = storageWithRows(2)
    const layer = createLayer(storage, { enableBatching: false, enableStats: true })

    await layer.getById({ executionId: 'te_0' })
    await layer.getById({ executionId: 'te_1' })
    await layer.updateById(update('te_0', 1))
    const metrics = layer.getStorageMetrics()

    expect(metrics.map((metric) => [metric.processName, metric.count])).toEqual([
      ['getManyById', 2],
      ['updateManyById', 1],
    ])
    for (const metric of metrics) {
      expect(metric.quantiles.map(([quantile]) => quantile)).toEqual([0.5, 0.9, 0.95])
      for (const [, value] of metric.quantiles) expect(value).toBeTypeOf('number')
    }
  })

  it('counts one storage call for a whole batch', async () => {
    const storage = storageWithRows(10)
    const layer = createLayer(storage, { enableStats: true })
    layer.start()

    const pending = Array.from({ length: 10 }, (_, index) => layer.getById({ executionId: `te_${index}` }))
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS)
    await Promise.all(pending)

    expect(layer.getStorageMetrics().map((metric) => [metric.processName, metric.count])).toEqual([
      ['getManyById', 1],
    ])
    await layer.shutdown()
  })

  it('reports nothing when stats are off', async () => {
    const storage = storageWithRows(1)
    const layer = createLayer(storage, { enableBatching: false })
    await layer.getById({ executionId: 'te_0' })
    expect(layer.getStorageMetrics()).toEqual([])
  })
})
