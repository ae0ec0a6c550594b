/**
 * The in-memory reference storage (spec 2.3): every method of `TaskExecutionsStorage` over a map
 * of rows, plus `save`/`load` and `logAllTaskExecutions` for tests and demos.
 *
 * Every method body is synchronous, so each call (each claim in particular) is atomic even when
 * many async callers run concurrently. Rows go in and come out as copies: no caller ever holds a
 * reference to the storage's own state.
 */
/* eslint-disable @typescript-eslint/require-await --
 * The methods are async only so that a throw becomes a rejection; their bodies stay synchronous
 * on purpose, because that is what makes each call atomic. */
import { parse, stringify } from 'superjson'

import { DurableExecutionError } from './errors.js'
import {
  applyTaskExecutionStorageUpdate,
  cloneTaskExecutionStorageValue,
  matchesGetByIdFilters,
} from './storage-value.js'
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
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from './storage.js'

type ClaimQuery = {
  matches: (row: TaskExecutionStorageValue) => boolean
  /** The ascending sort key; rows without one never match. */
  sortKey: (row: TaskExecutionStorageValue) => number | undefined
  update: TaskExecutionStorageUpdate
  limit: number
  updateExpiresAtWithStartedAt?: number
}

function isStorageValueLike(value: unknown): value is TaskExecutionStorageValue {
  if (value == null || typeof value !== 'object') return false
  const row = value as Record<string, unknown>
  return (
    typeof row.executionId === 'string' &&
    typeof row.taskId === 'string' &&
    typeof row.status === 'string'
  )
}

/**
 * A complete `TaskExecutionsStorage` kept in process memory. Use it for tests, demos and single-
 * process programs that do not need durability across restarts (or persist it with
 * {@link InMemoryTaskExecutionsStorage.save}).
 */
export class InMemoryTaskExecutionsStorage implements TaskExecutionsStorage {
  private rows = new Map<string, TaskExecutionStorageValue>()
  private executionIdBySleepingTaskUniqueId = new Map<string, string>()
  private childExecutionIdsByParentExecutionId = new Map<string, Set<string>>()

  /**
   * Inserts all rows or none. Rejects when an `executionId` or a `sleepingTaskUniqueId` already
   * exists, or appears twice in `executions`.
   */
  async insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    this.insertRowsOrThrow(executions)
  }

  /** One result per request, in order; `undefined` when missing or filtered out. */
  async getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return requests.map((request) => {
      const row = this.rows.get(request.executionId)
      return row && matchesGetByIdFilters(row, request.filters)
        ? cloneTaskExecutionStorageValue(row)
        : undefined
    })
  }

  /** One result per request, in order; `undefined` when no row has the unique id. */
  async getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return requests.map((request) => {
      const executionId = this.executionIdBySleepingTaskUniqueId.get(request.sleepingTaskUniqueId)
      const row = executionId === undefined ? undefined : this.rows.get(executionId)
      return row ? cloneTaskExecutionStorageValue(row) : undefined
    })
  }

  /** Updates each request's row when it matches the request's filters; requests are independent. */
  async updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ): Promise<void> {
    for (const request of requests) {
      const row = this.rows.get(request.executionId)
      if (row && matchesGetByIdFilters(row, request.filters)) {
        this.rows.set(row.executionId, applyTaskExecutionStorageUpdate(row, request.update))
      }
    }
  }

  /**
   * For each request: updates the row when it matches and, only then, inserts the children. A
   * request whose insert would fail changes nothing; the other requests still apply, and the call
   * then rejects with the first failure.
   */
  async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<void> {
    const failures: Array<unknown> = []
    for (const request of requests) {
      const row = this.rows.get(request.executionId)
      if (!row || !matchesGetByIdFilters(row, request.filters)) continue
      try {
        this.assertInsertable(request.childrenTaskExecutionsToInsertIfAnyUpdated)
      } catch (error) {
        failures.push(error)
        continue
      }
      this.rows.set(row.executionId, applyTaskExecutionStorageUpdate(row, request.update))
      this.insertRowsOrThrow(request.childrenTaskExecutionsToInsertIfAnyUpdated)
    }
    if (failures.length > 0) throw failures[0]
  }

  /** Every child of each parent (finalize child included), in any order. */
  async getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    return requests.map((request) =>
      this.childrenOf(request.parentExecutionId).map(cloneTaskExecutionStorageValue),
    )
  }

  /** Updates every child of each parent whose `isFinished` equals the request's. */
  async updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    for (const request of requests) {
      for (const child of this.childrenOf(request.parentExecutionId)) {
        if (child.isFinished !== request.isFinished) continue
        this.rows.set(child.executionId, applyTaskExecutionStorageUpdate(child, request.update))
      }
    }
  }

  /** Claims rows with the status and `startAt < startAtLessThan`, earliest `startAt` first. */
  async updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.claim({
      matches: (row) => row.status === request.status && row.startAt < request.startAtLessThan,
      sortKey: (row) => row.startAt,
      update: request.update,
      limit: request.limit,
      updateExpiresAtWithStartedAt: request.updateExpiresAtWithStartedAt,
    }).map(cloneTaskExecutionStorageValue)
  }

  /** Claims parents with the status, the flag and no active children, oldest `updatedAt` first. */
  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.claim({
      matches: (row) =>
        row.status === request.status &&
        row.onChildrenFinishedProcessingStatus === request.onChildrenFinishedProcessingStatus &&
        row.activeChildrenCount === 0,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    }).map(cloneTaskExecutionStorageValue)
  }

  /** Claims rows with the close status, oldest `updatedAt` first. */
  async updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.claim({
      matches: (row) => row.closeStatus === request.closeStatus,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    }).map(cloneTaskExecutionStorageValue)
  }

  /** Updates expired rows with the status and sleeping flag, earliest `expiresAt` first. */
  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    return this.claim({
      matches: (row) =>
        row.status === request.status &&
        row.isSleepingTask === request.isSleepingTask &&
        row.expiresAt !== undefined &&
        row.expiresAt < request.expiresAtLessThan,
      sortKey: (row) => row.expiresAt,
      update: request.update,
      limit: request.limit,
    }).length
  }

  /** Updates rows whose children-finished lease ran out, earliest lease first. */
  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    const bound = request.onChildrenFinishedProcessingExpiresAtLessThan
    return this.claim({
      matches: (row) =>
        row.onChildrenFinishedProcessingExpiresAt !== undefined &&
        row.onChildrenFinishedProcessingExpiresAt < bound,
      sortKey: (row) => row.onChildrenFinishedProcessingExpiresAt,
      update: request.update,
      limit: request.limit,
    }).length
  }

  /** Updates rows whose close lease ran out, earliest lease first. */
  async updateByCloseExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ): Promise<number> {
    return this.claim({
      matches: (row) =>
        row.closeExpiresAt !== undefined && row.closeExpiresAt < request.closeExpiresAtLessThan,
      sortKey: (row) => row.closeExpiresAt,
      update: request.update,
      limit: request.limit,
    }).length
  }

  /** Claims the executor's rows with the cancellation flag, oldest `updatedAt` first. */
  async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.claim({
      matches: (row) =>
        row.executorId === request.executorId &&
        row.needsPromiseCancellation === request.needsPromiseCancellation,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    }).map(cloneTaskExecutionStorageValue)
  }

  /**
   * Claims rows with `isFinished` and the close status, oldest `updatedAt` first, then releases
   * each claimed ordinary child to its parent: the parent's `activeChildrenCount` drops by one and
   * its `updatedAt` becomes `update.updatedAt`. Finalize children are skipped (spec 2.3, our
   * choice: a finalize child never counted in the parent's counter); missing parents are ignored.
   */
  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    const claimed = this.claim({
      matches: (row) =>
        row.isFinished === request.isFinished && row.closeStatus === request.closeStatus,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    })
    for (const child of claimed) {
      if (!child.parent || child.parent.isFinalizeOfParent) continue
      const parent = this.rows.get(child.parent.executionId)
      if (!parent) continue
      this.rows.set(parent.executionId, {
        ...parent,
        activeChildrenCount: parent.activeChildrenCount - 1,
        updatedAt: request.update.updatedAt,
      })
    }
    return claimed.length
  }

  /** Deletes one row; its `sleepingTaskUniqueId`, if any, becomes free again. */
  async deleteById(request: { executionId: string }): Promise<void> {
    const row = this.rows.get(request.executionId)
    if (!row) return
    this.rows.delete(row.executionId)
    if (row.sleepingTaskUniqueId !== undefined) {
      this.executionIdBySleepingTaskUniqueId.delete(row.sleepingTaskUniqueId)
    }
    if (row.parent) {
      this.childExecutionIdsByParentExecutionId.get(row.parent.executionId)?.delete(row.executionId)
    }
  }

  /** Deletes every row. */
  async deleteAll(): Promise<void> {
    this.replaceAllRows([])
  }

  /**
   * Writes the whole store (a map from execution id to row) as one superjson string through
   * `write`, e.g. to a file, to be read back by {@link InMemoryTaskExecutionsStorage.load}.
   */
  async save(write: (serialized: string) => void | Promise<void>): Promise<void> {
    await write(stringify(new Map(this.rows)))
  }

  /**
   * Replaces the store with what `read` returns, as written by
   * {@link InMemoryTaskExecutionsStorage.save}. Empty or unreadable input gives an empty store:
   * a missing or corrupt snapshot must not stop a process from starting.
   */
  async load(read: () => string | Promise<string>): Promise<void> {
    const serialized = await read()
    this.replaceAllRows(parseSavedRows(serialized))
  }

  /** Prints every row to the console, for debugging. */
  logAllTaskExecutions(): void {
    console.log(`Task executions (${this.rows.size}):`)
    for (const row of this.rows.values()) {
      console.log(JSON.stringify(row, undefined, 2))
    }
  }

  private childrenOf(parentExecutionId: string): Array<TaskExecutionStorageValue> {
    const childIds = this.childExecutionIdsByParentExecutionId.get(parentExecutionId)
    if (!childIds) return []
    const children: Array<TaskExecutionStorageValue> = []
    for (const childId of childIds) {
      const child = this.rows.get(childId)
      if (child) children.push(child)
    }
    return children
  }

  /** Updates the matching rows in sort-key order, up to the limit, and returns them as stored. */
  private claim(query: ClaimQuery): Array<TaskExecutionStorageValue> {
    if (query.limit <= 0) return []
    const candidates: Array<{ row: TaskExecutionStorageValue; key: number }> = []
    for (const row of this.rows.values()) {
      if (!query.matches(row)) continue
      const key = query.sortKey(row)
      if (key !== undefined) candidates.push({ row, key })
    }
    candidates.sort((a, b) => a.key - b.key)
    return candidates.slice(0, query.limit).map(({ row }) => {
      const updated = applyTaskExecutionStorageUpdate(
        row,
        query.update,
        query.updateExpiresAtWithStartedAt,
      )
      this.rows.set(updated.executionId, updated)
      return updated
    })
  }

  /** Throws, naming the offending value, if any row could not be inserted; inserts nothing. */
  private assertInsertable(executions: ReadonlyArray<TaskExecutionStorageValue>): void {
    const executionIdsInCall = new Set<string>()
    const uniqueIdsInCall = new Set<string>()
    for (const execution of executions) {
      const { executionId, sleepingTaskUniqueId } = execution
      if (this.rows.has(executionId)) {
        throw DurableExecutionError.nonRetryable(
          `Task execution with executionId ${executionId} already exists in storage: ` +
            'execution ids must be unique, generate a new one for each execution',
        )
      }
      if (executionIdsInCall.has(executionId)) {
        throw DurableExecutionError.nonRetryable(
          `Task execution with executionId ${executionId} appears more than once in one insert: ` +
            'give each execution its own id',
        )
      }
      executionIdsInCall.add(executionId)
      if (sleepingTaskUniqueId == null) continue
      const holder = this.executionIdBySleepingTaskUniqueId.get(sleepingTaskUniqueId)
      if (holder !== undefined) {
        throw DurableExecutionError.nonRetryable(
          `Sleeping task execution with sleepingTaskUniqueId ${sleepingTaskUniqueId} already exists ` +
            `in storage [executionId=${holder}]: use another unique id, or wait for that execution instead`,
        )
      }
      if (uniqueIdsInCall.has(sleepingTaskUniqueId)) {
        throw DurableExecutionError.nonRetryable(
          `Sleeping task execution with sleepingTaskUniqueId ${sleepingTaskUniqueId} appears more than ` +
            'once in one insert: give each sleeping task execution its own unique id',
        )
      }
      uniqueIdsInCall.add(sleepingTaskUniqueId)
    }
  }

  private insertRowsOrThrow(executions: ReadonlyArray<TaskExecutionStorageValue>): void {
    this.assertInsertable(executions)
    for (const execution of executions) this.indexRow(cloneTaskExecutionStorageValue(execution))
  }

  private indexRow(row: TaskExecutionStorageValue): void {
    this.rows.set(row.executionId, row)
    if (row.sleepingTaskUniqueId !== undefined) {
      this.executionIdBySleepingTaskUniqueId.set(row.sleepingTaskUniqueId, row.executionId)
    }
    if (row.parent) {
      let childIds = this.childExecutionIdsByParentExecutionId.get(row.parent.executionId)
      if (!childIds) {
        childIds = new Set()
        this.childExecutionIdsByParentExecutionId.set(row.parent.executionId, childIds)
      }
      childIds.add(row.executionId)
    }
  }

  private replaceAllRows(rows: ReadonlyArray<TaskExecutionStorageValue>): void {
    this.rows = new Map()
    this.executionIdBySleepingTaskUniqueId = new Map()
    this.childExecutionIdsByParentExecutionId = new Map()
    for (const row of rows) this.indexRow(cloneTaskExecutionStorageValue(row))
  }
}

function parseSavedRows(serialized: string): Array<TaskExecutionStorageValue> {
  if (typeof serialized !== 'string' || serialized.trim() === '') return []
  let parsed: unknown
  try {
    parsed = parse(serialized)
  } catch {
    return []
  }
  // `save` writes a Map; a plain array of rows is accepted too, for hand-written fixtures.
  const rows = parsed instanceof Map ? [...parsed.values()] : parsed
  if (!Array.isArray(rows) || !rows.every(isStorageValueLike)) return []
  return rows
}
