/**
 * An in-process mutex and the storage wrapper that runs every storage method under one (spec 2.5).
 * Used where the storage cannot take concurrent calls safely, e.g. SQLite on a single connection.
 */
import type {
  TaskExecutionsStorage,
  TaskExecutionsStorageGetByIdRequest,
  TaskExecutionsStorageGetByParentExecutionIdRequest,
  TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  TaskExecutionsStorageUpdateByIdRequest,
  TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  TaskExecutionsStorageUpdateMatches,
  TaskExecutionStorageValue,
} from './storage.js'

/** A first-in first-out lock for asynchronous code within one process. */
export type Mutex = {
  /**
   * Waits until the lock is free and takes it. Resolves to the function that releases it; calling
   * that function more than once has no further effect.
   */
  acquire(): Promise<() => void>
  /** Runs `fn` while holding the lock and releases it afterwards, whether `fn` succeeds or throws. */
  runExclusive<T>(fn: () => T | Promise<T>): Promise<T>
}

/** Creates a {@link Mutex}; waiters get the lock in the order they asked for it. */
export function createMutex(): Mutex {
  // Each acquirer waits for the release of the one before it: a chain of promises is the queue.
  let tail: Promise<void> = Promise.resolve()

  const acquire = (): Promise<() => void> => {
    let releaseOwn!: () => void
    const released = new Promise<void>((resolve) => {
      releaseOwn = resolve
    })
    const previous = tail
    tail = previous.then(() => released)
    return previous.then(() => {
      let isReleased = false
      return () => {
        if (isReleased) return
        isReleased = true
        releaseOwn()
      }
    })
  }

  const runExclusive = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    const release = await acquire()
    try {
      return await fn()
    } finally {
      release()
    }
  }

  return { acquire, runExclusive }
}

/**
 * A storage whose every method, reads included, runs under one in-process mutex, so the wrapped
 * storage never sees two calls at once.
 */
export class TaskExecutionsStorageWithMutex implements TaskExecutionsStorage {
  private readonly inner: TaskExecutionsStorage
  private readonly mutex: Mutex

  /**
   * @param inner - the storage to protect.
   * @param mutex - the lock to use; pass one to share it with other wrappers. A new one by default.
   */
  constructor(inner: TaskExecutionsStorage, mutex: Mutex = createMutex()) {
    this.inner = inner
    this.mutex = mutex
    const readClock = inner.getCurrentTimeMs?.bind(inner)
    // Reading the clock changes nothing, so it need not wait for the mutex.
    if (readClock) this.getCurrentTimeMs = async () => await readClock()
  }

  /** The inner storage's clock, when it has one. */
  readonly getCurrentTimeMs?: () => Promise<number>

  /** Runs the inner storage's `insertMany` under the mutex. */
  insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    return this.mutex.runExclusive(() => this.inner.insertMany(executions))
  }

  /** Runs the inner storage's `getManyById` under the mutex. */
  getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.mutex.runExclusive(() => this.inner.getManyById(requests))
  }

  /** Runs the inner storage's `getManyBySleepingTaskUniqueId` under the mutex. */
  getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.mutex.runExclusive(() => this.inner.getManyBySleepingTaskUniqueId(requests))
  }

  /** Runs the inner storage's `updateManyById` under the mutex. */
  updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ): Promise<TaskExecutionsStorageUpdateMatches> {
    return this.mutex.runExclusive(() => this.inner.updateManyById(requests))
  }

  /** Runs the inner storage's `updateManyByIdAndInsertChildrenIfUpdated` under the mutex. */
  updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<TaskExecutionsStorageUpdateMatches> {
    return this.mutex.runExclusive(() =>
      this.inner.updateManyByIdAndInsertChildrenIfUpdated(requests),
    )
  }

  /** Runs the inner storage's `updateByStatusAndStartAtLessThanAndReturn` under the mutex. */
  updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.mutex.runExclusive(() =>
      this.inner.updateByStatusAndStartAtLessThanAndReturn(request),
    )
  }

  /** Runs the inner storage's `updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn` under the mutex. */
  updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.mutex.runExclusive(() =>
      this.inner.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
        request,
      ),
    )
  }

  /** Runs the inner storage's `updateByCloseStatusAndReturn` under the mutex. */
  updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.mutex.runExclusive(() => this.inner.updateByCloseStatusAndReturn(request))
  }

  /** Runs the inner storage's `updateByStatusAndIsSleepingTaskAndExpiresAtLessThan` under the mutex. */
  updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    return this.mutex.runExclusive(() =>
      this.inner.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(request),
    )
  }

  /** Runs the inner storage's `updateByOnChildrenFinishedProcessingExpiresAtLessThan` under the mutex. */
  updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    return this.mutex.runExclusive(() =>
      this.inner.updateByOnChildrenFinishedProcessingExpiresAtLessThan(request),
    )
  }

  /** Runs the inner storage's `updateByCloseExpiresAtLessThan` under the mutex. */
  updateByCloseExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ): Promise<number> {
    return this.mutex.runExclusive(() => this.inner.updateByCloseExpiresAtLessThan(request))
  }

  /** Runs the inner storage's `updateByExecutorIdAndNeedsPromiseCancellationAndReturn` under the mutex. */
  updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.mutex.runExclusive(() =>
      this.inner.updateByExecutorIdAndNeedsPromiseCancellationAndReturn(request),
    )
  }

  /** Runs the inner storage's `getManyByParentExecutionId` under the mutex. */
  getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    return this.mutex.runExclusive(() => this.inner.getManyByParentExecutionId(requests))
  }

  /** Runs the inner storage's `updateManyByParentExecutionIdAndIsFinished` under the mutex. */
  updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    return this.mutex.runExclusive(() =>
      this.inner.updateManyByParentExecutionIdAndIsFinished(requests),
    )
  }

  /** Runs the inner storage's `updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus` under the mutex. */
  updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    return this.mutex.runExclusive(() =>
      this.inner.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(request),
    )
  }

  /** Runs the inner storage's `deleteById` under the mutex. */
  deleteById(request: { executionId: string }): Promise<void> {
    return this.mutex.runExclusive(() => this.inner.deleteById(request))
  }

  /** Runs the inner storage's `deleteAll` under the mutex. */
  deleteAll(): Promise<void> {
    return this.mutex.runExclusive(() => this.inner.deleteAll())
  }
}
