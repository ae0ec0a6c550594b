/**
 * A small counting storage for the batching tests: it records every call with its arguments,
 * keeps rows in a map, and lets a test replace any method to inject failures or odd answers.
 */
import type {
  TaskExecutionsStorage,
  TaskExecutionsStorageGetByIdRequest,
  TaskExecutionsStorageGetByParentExecutionIdRequest,
  TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  TaskExecutionsStorageUpdateByIdRequest,
  TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  TaskExecutionStorageValue,
} from '../../../src/core/storage.js'

export type RecordedCall = { method: string; argument: unknown }

type Override = (argument: never) => unknown

export function makeRow(
  executionId: string,
  overrides: Partial<TaskExecutionStorageValue> = {},
): TaskExecutionStorageValue {
  return {
    taskId: 'task',
    executionId,
    isSleepingTask: false,
    retryOptions: { maxAttempts: 0 },
    sleepMsBeforeRun: 0,
    timeoutMs: 1000,
    areChildrenSequential: false,
    input: '{}',
    status: 'ready',
    isFinished: false,
    retryAttempts: 0,
    startAt: 0,
    activeChildrenCount: 0,
    onChildrenFinishedProcessingStatus: 'idle',
    closeStatus: 'idle',
    needsPromiseCancellation: false,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  }
}

export function makeRows(prefix: string, count: number): Array<TaskExecutionStorageValue> {
  return Array.from({ length: count }, (_, index) => makeRow(`${prefix}_${index}`))
}

export class FakeStorage implements TaskExecutionsStorage {
  readonly calls: Array<RecordedCall> = []
  readonly rows = new Map<string, TaskExecutionStorageValue>()
  /** Replaces a method's behaviour; the call is still recorded. */
  readonly overrides: Partial<Record<keyof TaskExecutionsStorage, Override>> = {}

  callsOf(method: keyof TaskExecutionsStorage): Array<unknown> {
    return this.calls.filter((call) => call.method === method).map((call) => call.argument)
  }

  private run<T>(
    method: keyof TaskExecutionsStorage,
    argument: unknown,
    fallback: () => T,
  ): T | Promise<T> {
    this.calls.push({ method, argument })
    const override = this.overrides[method]
    if (override) return override(argument as never) as T | Promise<T>
    return fallback()
  }

  async insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    await this.run('insertMany', executions, () => {
      for (const row of executions) {
        if (this.rows.has(row.executionId)) {
          throw new Error(`duplicate executionId ${row.executionId}`)
        }
      }
      for (const row of executions) this.rows.set(row.executionId, { ...row })
    })
  }

  async getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.run('getManyById', requests, () =>
      requests.map((request) => this.rows.get(request.executionId)),
    )
  }

  async getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.run('getManyBySleepingTaskUniqueId', requests, () =>
      requests.map((request) =>
        [...this.rows.values()].find(
          (row) => row.sleepingTaskUniqueId === request.sleepingTaskUniqueId,
        ),
      ),
    )
  }

  async updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ): Promise<void> {
    await this.run('updateManyById', requests, () => {
      for (const request of requests) this.applyUpdate(request)
    })
  }

  async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<void> {
    await this.run('updateManyByIdAndInsertChildrenIfUpdated', requests, () => {
      for (const request of requests) {
        if (this.applyUpdate(request)) {
          for (const child of request.childrenTaskExecutionsToInsertIfAnyUpdated) {
            this.rows.set(child.executionId, { ...child })
          }
        }
      }
    })
  }

  async getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    return this.run('getManyByParentExecutionId', requests, () =>
      requests.map((request) =>
        [...this.rows.values()].filter(
          (row) => row.parent?.executionId === request.parentExecutionId,
        ),
      ),
    )
  }

  async updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    await this.run('updateManyByParentExecutionIdAndIsFinished', requests, () => undefined)
  }

  async updateByStatusAndStartAtLessThanAndReturn(request: unknown) {
    return this.run('updateByStatusAndStartAtLessThanAndReturn', request, () => [])
  }

  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: unknown,
  ) {
    return this.run(
      'updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn',
      request,
      () => [],
    )
  }

  async updateByCloseStatusAndReturn(request: unknown) {
    return this.run('updateByCloseStatusAndReturn', request, () => [])
  }

  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(request: unknown) {
    return this.run('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan', request, () => 0)
  }

  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(request: unknown) {
    return this.run('updateByOnChildrenFinishedProcessingExpiresAtLessThan', request, () => 0)
  }

  async updateByCloseExpiresAtLessThan(request: unknown) {
    return this.run('updateByCloseExpiresAtLessThan', request, () => 0)
  }

  async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(request: unknown) {
    return this.run('updateByExecutorIdAndNeedsPromiseCancellationAndReturn', request, () => [])
  }

  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(request: unknown) {
    return this.run(
      'updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus',
      request,
      () => 0,
    )
  }

  async deleteById(request: { executionId: string }): Promise<void> {
    await this.run('deleteById', request, () => this.rows.delete(request.executionId))
  }

  async deleteAll(): Promise<void> {
    await this.run('deleteAll', undefined, () => this.rows.clear())
  }

  private applyUpdate(request: TaskExecutionsStorageUpdateByIdRequest): boolean {
    const row = this.rows.get(request.executionId)
    if (!row) return false
    const { filters } = request
    if (filters?.status !== undefined && row.status !== filters.status) return false
    const { unset: _unset, ...values } = request.update
    this.rows.set(request.executionId, { ...row, ...values })
    return true
  }
}
