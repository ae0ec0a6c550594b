/**
 * Binds the storage conformance suite to the in-memory storage: directly, behind the fan-out
 * batching wrapper (over a single-request adapter), and through upstream's `runStorageTest`.
 */
import { expect, it } from 'vitest'

import { TaskExecutionsStorageWithBatching } from '../src/core/batching/index.js'
import { InMemoryTaskExecutionsStorage } from '../src/core/in-memory-storage.js'
import type { TaskExecutionsStorageWithoutBatching } from '../src/core/storage.js'
import { describeTaskExecutionsStorageSuite, runStorageTest } from '../src/testing/index.js'

/** The single-request interface over an in-memory storage, each call one array request. */
function createUnbatchedInMemoryStorage(): TaskExecutionsStorageWithoutBatching {
  const inner = new InMemoryTaskExecutionsStorage()
  return {
    insertMany: (executions) => inner.insertMany(executions),
    getById: async (request) => (await inner.getManyById([request]))[0],
    getBySleepingTaskUniqueId: async (request) =>
      (await inner.getManyBySleepingTaskUniqueId([request]))[0],
    getCurrentTimeMs: () => inner.getCurrentTimeMs(),
    updateById: async (request) => (await inner.updateManyById([request]))[0],
    updateByIdAndInsertChildrenIfUpdated: async (request) =>
      (await inner.updateManyByIdAndInsertChildrenIfUpdated([request]))[0],
    getByParentExecutionId: async (request) =>
      (await inner.getManyByParentExecutionId([request]))[0] ?? [],
    updateByParentExecutionIdAndIsFinished: (request) =>
      inner.updateManyByParentExecutionIdAndIsFinished([request]),
    updateByStatusAndStartAtLessThanAndReturn: (request) =>
      inner.updateByStatusAndStartAtLessThanAndReturn(request),
    updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn: (
      request,
    ) =>
      inner.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
        request,
      ),
    updateByCloseStatusAndReturn: (request) => inner.updateByCloseStatusAndReturn(request),
    updateByStatusAndIsSleepingTaskAndExpiresAtLessThan: (request) =>
      inner.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(request),
    updateByOnChildrenFinishedProcessingExpiresAtLessThan: (request) =>
      inner.updateByOnChildrenFinishedProcessingExpiresAtLessThan(request),
    updateByCloseExpiresAtLessThan: (request) => inner.updateByCloseExpiresAtLessThan(request),
    updateByExecutorIdAndNeedsPromiseCancellationAndReturn: (request) =>
      inner.updateByExecutorIdAndNeedsPromiseCancellationAndReturn(request),
    updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus: (request) =>
      inner.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(request),
    deleteById: (request) => inner.deleteById(request),
    deleteAll: () => inner.deleteAll(),
  }
}

describeTaskExecutionsStorageSuite('in-memory', {
  createStorage: () => new InMemoryTaskExecutionsStorage(),
})

describeTaskExecutionsStorageSuite('in-memory behind TaskExecutionsStorageWithBatching', {
  createStorage: () => new TaskExecutionsStorageWithBatching(createUnbatchedInMemoryStorage()),
})

describeTaskExecutionsStorageSuite(
  'in-memory behind TaskExecutionsStorageWithBatching without parallel requests',
  {
    createStorage: () =>
      new TaskExecutionsStorageWithBatching(createUnbatchedInMemoryStorage(), true),
  },
)

it('runStorageTest runs the executor scenario and every storage case on the in-memory storage, and calls storageCleanup once', async () => {
  let cleanups = 0
  await runStorageTest(new InMemoryTaskExecutionsStorage(), {
    storageCleanup: () => {
      cleanups += 1
    },
  })
  expect(cleanups).toBe(1)
})

it('runStorageTest names the failing case and still calls storageCleanup', async () => {
  // The executor scenario never deletes single rows, so it passes; the storage cases do not.
  class StorageThatNeverDeletesOneRow extends InMemoryTaskExecutionsStorage {
    override async deleteById() {}
  }
  let cleanups = 0
  await expect(
    runStorageTest(new StorageThatNeverDeletesOneRow(), {
      storageCleanup: () => {
        cleanups += 1
      },
    }),
  ).rejects.toThrow('[group=deleteById and deleteAll]')
  expect(cleanups).toBe(1)
})
