import { describe, expect, it } from 'vitest'

import { createMutex, TaskExecutionsStorageWithMutex } from '../../src/core/mutex.js'
import type { TaskExecutionsStorage } from '../../src/core/storage.js'
import { FakeStorage, makeRow } from './batching/fake-storage.js'

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

describe('createMutex', () => {
  it('lets one holder run at a time, in the order they asked', async () => {
    const mutex = createMutex()
    const events: Array<string> = []
    const gates = [deferred(), deferred(), deferred()]

    const runs = gates.map((gate, index) =>
      mutex.runExclusive(async () => {
        events.push(`start ${index}`)
        await gate.promise
        events.push(`end ${index}`)
        return index
      }),
    )
    await flushMicrotasks()
    expect(events).toEqual(['start 0'])

    gates[2]!.resolve()
    gates[1]!.resolve()
    await flushMicrotasks()
    expect(events).toEqual(['start 0'])

    gates[0]!.resolve()
    expect(await Promise.all(runs)).toEqual([0, 1, 2])
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'])
  })

  it('releases the lock when the function throws', async () => {
    const mutex = createMutex()
    await expect(
      mutex.runExclusive(() => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    await expect(mutex.runExclusive(() => 'next')).resolves.toBe('next')
  })

  it('ignores a second release of the same acquisition', async () => {
    const mutex = createMutex()
    const releaseFirst = await mutex.acquire()
    const second = mutex.acquire()
    let thirdAcquired = false
    const third = mutex.acquire().then((release) => {
      thirdAcquired = true
      return release
    })

    releaseFirst()
    const releaseSecond = await second
    releaseFirst()
    await flushMicrotasks()
    expect(thirdAcquired).toBe(false)

    releaseSecond()
    ;(await third)()
    expect(thirdAcquired).toBe(true)
  })
})

describe('TaskExecutionsStorageWithMutex', () => {
  it('never lets two calls reach the inner storage at the same time', async () => {
    const inner = new FakeStorage()
    inner.rows.set('a', makeRow('a'))
    let active = 0
    let maxActive = 0
    const slow = <T>(answer: () => T) => async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await flushMicrotasks()
      active--
      return answer()
    }
    inner.overrides.getManyById = slow(() => [inner.rows.get('a')])
    inner.overrides.updateManyById = slow(() => undefined)
    inner.overrides.updateByCloseStatusAndReturn = slow(() => [])
    const storage: TaskExecutionsStorage = new TaskExecutionsStorageWithMutex(inner)

    const results = await Promise.all([
      storage.getManyById([{ executionId: 'a' }]),
      storage.updateManyById([{ executionId: 'a', update: { updatedAt: 1 } }]),
      storage.updateByCloseStatusAndReturn({ closeStatus: 'ready', update: { updatedAt: 1 }, limit: 1 }),
      storage.getManyById([{ executionId: 'a' }]),
    ])

    expect(maxActive).toBe(1)
    expect(inner.calls.map((call) => call.method)).toEqual([
      'getManyById',
      'updateManyById',
      'updateByCloseStatusAndReturn',
      'getManyById',
    ])
    expect((results[0] as Array<{ executionId: string }>)[0]?.executionId).toBe('a')
  })

  it('passes arguments and answers of every method through', async () => {
    const inner = new FakeStorage()
    const storage = new TaskExecutionsStorageWithMutex(inner)
    const update = { updatedAt: 1 }

    await storage.insertMany([makeRow('a')])
    expect((await storage.getManyById([{ executionId: 'a' }]))[0]?.executionId).toBe('a')
    expect(await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId: 'x' }])).toEqual([
      undefined,
    ])
    await storage.updateManyById([{ executionId: 'a', update: { retryAttempts: 2, updatedAt: 1 } }])
    await storage.updateManyByIdAndInsertChildrenIfUpdated([
      {
        executionId: 'a',
        update,
        childrenTaskExecutionsToInsertIfAnyUpdated: [
          makeRow('child', { parent: { taskId: 'task', executionId: 'a', indexInParentChildren: 0, isOnlyChildOfParent: true, isFinalizeOfParent: false } }),
        ],
      },
    ])
    expect(
      (await storage.getManyByParentExecutionId([{ parentExecutionId: 'a' }]))[0]?.map(
        (row) => row.executionId,
      ),
    ).toEqual(['child'])
    await storage.updateManyByParentExecutionIdAndIsFinished([
      { parentExecutionId: 'a', isFinished: false, update },
    ])
    expect(
      await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: 1,
        update,
        updateExpiresAtWithStartedAt: 1,
        limit: 1,
      }),
    ).toEqual([])
    expect(
      await storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
        { status: 'waiting_for_children', onChildrenFinishedProcessingStatus: 'idle', update, limit: 1 },
      ),
    ).toEqual([])
    expect(await storage.updateByCloseStatusAndReturn({ closeStatus: 'ready', update, limit: 1 })).toEqual([])
    expect(
      await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
        status: 'running',
        isSleepingTask: false,
        expiresAtLessThan: 1,
        update,
        limit: 1,
      }),
    ).toBe(0)
    expect(
      await storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
        onChildrenFinishedProcessingExpiresAtLessThan: 1,
        update,
        limit: 1,
      }),
    ).toBe(0)
    expect(await storage.updateByCloseExpiresAtLessThan({ closeExpiresAtLessThan: 1, update, limit: 1 })).toBe(0)
    expect(
      await storage.updateByExecutorIdAndNeedsPromiseCancellationAndReturn({
        executorId: 'de_1',
        needsPromiseCancellation: true,
        update,
        limit: 1,
      }),
    ).toEqual([])
    expect(
      await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
        isFinished: true,
        closeStatus: 'idle',
        update,
        limit: 1,
      }),
    ).toBe(0)
    await storage.deleteById({ executionId: 'child' })
    expect(inner.rows.has('child')).toBe(false)
    expect(inner.rows.get('a')?.retryAttempts).toBe(2)
    await storage.deleteAll()

    expect(inner.calls.map((call) => call.method)).toEqual([
      'insertMany',
      'getManyById',
      'getManyBySleepingTaskUniqueId',
      'updateManyById',
      'updateManyByIdAndInsertChildrenIfUpdated',
      'getManyByParentExecutionId',
      'updateManyByParentExecutionIdAndIsFinished',
      'updateByStatusAndStartAtLessThanAndReturn',
      'updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn',
      'updateByCloseStatusAndReturn',
      'updateByStatusAndIsSleepingTaskAndExpiresAtLessThan',
      'updateByOnChildrenFinishedProcessingExpiresAtLessThan',
      'updateByCloseExpiresAtLessThan',
      'updateByExecutorIdAndNeedsPromiseCancellationAndReturn',
      'updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus',
      'deleteById',
      'deleteAll',
    ])
    expect(inner.rows.size).toBe(0)
  })
})
