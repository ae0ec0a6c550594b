/**
 * The in-memory reference storage (spec 2.3): every method of `TaskExecutionsStorage` over a map
 * of rows, plus `save`/`load` and `logAllTaskExecutions` for tests and demos.
 *
 * Every method body is synchronous, so each call (each claim in particular) is atomic even when
 * many async callers run concurrently. Rows go in and come out as copies: no caller ever holds a
 * reference to the storage's own state, which is why the storage may update its rows in place.
 * Secondary indexes (status, finished + close status, leases, cancellation flag) let each claim
 * look only at rows that can match, and a queue of ready rows ordered by `startAt` serves the
 * pickup claim.
 */
/* eslint-disable @typescript-eslint/require-await --
 * The methods are async only so that a throw becomes a rejection; their bodies stay synchronous
 * on purpose, because that is what makes each call atomic. */
import { parse, stringify } from 'superjson'

import { hasClosingWork } from './closing-work.js'
import { DurableExecutionError } from './errors.js'
import {
  applyUpdateToStoredRow,
  byChildrenFinishedLeaseKey,
  byCloseLeaseKey,
  byFinishedAndCloseStatusKey,
  byNeedsPromiseCancellationKey,
  byStatusKey,
  createStoredRow,
  finishedAndCloseStatusKey,
  FirstCandidates,
  ReadyQueue,
  RowIndex,
  statusKey,
  type StoredEntry,
} from './in-memory-rows.js'
import { checkPurgeOptions, purgeableExecutionIds, type PurgeTaskExecutionsOptions, type PurgeTaskExecutionsResult } from './retention.js'
import { cloneTaskExecutionStorageValue, matchesGetByIdFilters } from './storage-value.js'
import {
  checkTaskExecutionStorageRequest,
  checkTaskExecutionStorageRequests,
  checkTaskExecutionStorageValues,
} from './storage-checks.js'
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
  /** The index groups holding every row that can match (a superset of the matches). */
  candidates: ReadonlyArray<Iterable<StoredEntry> | undefined>
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
  private entries = new Map<string, StoredEntry>()
  private nextInsertionOrder = 0
  private executionIdBySleepingTaskUniqueId = new Map<string, string>()
  private childExecutionIdsByParentExecutionId = new Map<string, Set<string>>()
  // Secondary indexes, so a claim looks only at rows that can match. Kept exact on every write.
  private readonly byStatus = new RowIndex(byStatusKey)
  private readonly byFinishedAndCloseStatus = new RowIndex(byFinishedAndCloseStatusKey)
  private readonly byChildrenFinishedLease = new RowIndex(byChildrenFinishedLeaseKey)
  private readonly byCloseLease = new RowIndex(byCloseLeaseKey)
  private readonly byNeedsPromiseCancellation = new RowIndex(byNeedsPromiseCancellationKey)
  private readyQueue = new ReadyQueue()
  private readonly indexes: ReadonlyArray<RowIndex> = [
    this.byStatus,
    this.byFinishedAndCloseStatus,
    this.byChildrenFinishedLease,
    this.byCloseLease,
    this.byNeedsPromiseCancellation,
  ]

  /**
   * Inserts all rows or none. Rejects when an `executionId` or a `sleepingTaskUniqueId` already
   * exists, or appears twice in `executions`.
   */
  async insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    checkTaskExecutionStorageValues('insertMany', executions)
    this.insertRowsOrThrow(executions)
  }

  /** One result per request, in order; `undefined` when missing or filtered out. */
  async getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    checkTaskExecutionStorageRequests('getManyById', requests)
    return requests.map((request) => {
      const entry = this.entries.get(request.executionId)
      return entry && matchesGetByIdFilters(entry.row, request.filters)
        ? cloneTaskExecutionStorageValue(entry.row)
        : undefined
    })
  }

  /** One result per request, in order; `undefined` when no row has the unique id. */
  async getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    checkTaskExecutionStorageRequests('getManyBySleepingTaskUniqueId', requests)
    return requests.map((request) => {
      const executionId = this.executionIdBySleepingTaskUniqueId.get(request.sleepingTaskUniqueId)
      const entry = executionId === undefined ? undefined : this.entries.get(executionId)
      return entry ? cloneTaskExecutionStorageValue(entry.row) : undefined
    })
  }

  /**
   * Updates each request's row when it matches the request's filters; requests are independent.
   * Answers whether each matched.
   */
  async updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ): Promise<Array<boolean>> {
    checkTaskExecutionStorageRequests('updateManyById', requests)
    return requests.map((request) => {
      const entry = this.entries.get(request.executionId)
      if (!entry || !matchesGetByIdFilters(entry.row, request.filters)) return false
      this.updateEntry(entry, request.update, undefined)
      return true
    })
  }

  /**
   * For each request: updates the row when it matches and, only then, inserts the children. A
   * request whose insert would fail changes nothing; the other requests still apply, and the call
   * then rejects with the first failure. Answers whether each matched.
   */
  async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<Array<boolean>> {
    checkTaskExecutionStorageRequests('updateManyByIdAndInsertChildrenIfUpdated', requests)
    const failures: Array<unknown> = []
    const matches = requests.map((request) => {
      const entry = this.entries.get(request.executionId)
      if (!entry || !matchesGetByIdFilters(entry.row, request.filters)) return false
      try {
        this.assertInsertable(request.childrenTaskExecutionsToInsertIfAnyUpdated)
      } catch (error) {
        failures.push(error)
        return false
      }
      this.updateEntry(entry, request.update, undefined)
      this.insertRowsOrThrow(request.childrenTaskExecutionsToInsertIfAnyUpdated)
      return true
    })
    if (failures.length > 0) throw failures[0]
    return matches
  }

  /** Every child of each parent (finalize child included), in any order. */
  async getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    checkTaskExecutionStorageRequests('getManyByParentExecutionId', requests)
    return requests.map((request) =>
      this.childrenOf(request.parentExecutionId).map((entry) =>
        cloneTaskExecutionStorageValue(entry.row),
      ),
    )
  }

  /** Updates every child of each parent whose `isFinished` equals the request's. */
  async updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    checkTaskExecutionStorageRequests('updateManyByParentExecutionIdAndIsFinished', requests)
    for (const request of requests) {
      for (const child of this.childrenOf(request.parentExecutionId)) {
        if (child.row.isFinished !== request.isFinished) continue
        this.updateEntry(child, request.update, undefined)
      }
    }
  }

  /** Claims rows with the status and `startAt < startAtLessThan`, earliest `startAt` first. */
  async updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByStatusAndStartAtLessThanAndReturn', request)
    if (request.status === 'ready') {
      // The pickup claim, run constantly by every executor: served by the ready queue.
      if (request.limit <= 0) return []
      const due = this.readyQueue.takeDue(request.startAtLessThan, request.limit)
      return due.map((entry) => {
        this.updateEntry(entry, request.update, request.updateExpiresAtWithStartedAt)
        return cloneTaskExecutionStorageValue(entry.row)
      })
    }
    return this.claimAndCopy({
      candidates: this.withStatus(request.status),
      matches: (row) => row.status === request.status && row.startAt < request.startAtLessThan,
      sortKey: (row) => row.startAt,
      update: request.update,
      limit: request.limit,
      updateExpiresAtWithStartedAt: request.updateExpiresAtWithStartedAt,
    })
  }

  /** Claims parents with the status, the flag and no active children, oldest `updatedAt` first. */
  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn', request)
    return this.claimAndCopy({
      candidates: this.withStatus(request.status),
      matches: (row) =>
        row.status === request.status &&
        row.onChildrenFinishedProcessingStatus === request.onChildrenFinishedProcessingStatus &&
        row.activeChildrenCount === 0,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    })
  }

  /** Claims rows with the close status, oldest `updatedAt` first. */
  async updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByCloseStatusAndReturn', request)
    return this.claimAndCopy({
      candidates: this.withCloseStatus(request.closeStatus),
      matches: (row) => row.closeStatus === request.closeStatus,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    })
  }

  /**
   * Updates expired rows with the status and sleeping flag, earliest `expiresAt` first; with
   * `incrementExpiryCount`, each one's `expiryCount` grows by one.
   */
  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan', request)
    const swept = this.claim({
      candidates: this.withStatus(request.status),
      matches: (row) =>
        row.status === request.status &&
        row.isSleepingTask === request.isSleepingTask &&
        row.expiresAt !== undefined &&
        row.expiresAt < request.expiresAtLessThan,
      sortKey: (row) => row.expiresAt,
      update: request.update,
      limit: request.limit,
    })
    if (request.incrementExpiryCount === true) {
      // Not an indexed field, so the row changes in place.
      for (const { row } of swept) row.expiryCount = (row.expiryCount ?? 0) + 1
    }
    return swept.length
  }

  /** Updates rows whose children-finished lease ran out, earliest lease first. */
  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateByOnChildrenFinishedProcessingExpiresAtLessThan', request)
    const bound = request.onChildrenFinishedProcessingExpiresAtLessThan
    return this.claim({
      candidates: [this.byChildrenFinishedLease.group('leased')],
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
    checkTaskExecutionStorageRequest('updateByCloseExpiresAtLessThan', request)
    return this.claim({
      candidates: [this.byCloseLease.group('leased')],
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
    checkTaskExecutionStorageRequest('updateByExecutorIdAndNeedsPromiseCancellationAndReturn', request)
    return this.claimAndCopy({
      // Only rows with the flag set are indexed; asking for unset flags scans every row.
      candidates: [
        request.needsPromiseCancellation
          ? this.byNeedsPromiseCancellation.group('needed')
          : this.entries.values(),
      ],
      matches: (row) =>
        row.executorId === request.executorId &&
        row.needsPromiseCancellation === request.needsPromiseCancellation,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    })
  }

  /**
   * Claims rows with `isFinished` and the close status, oldest `updatedAt` first, then releases
   * each claimed ordinary child to its parent: the parent's `activeChildrenCount` drops by one and
   * its `updatedAt` becomes `update.updatedAt`. Finalize children are skipped (spec 2.3, our
   * choice: a finalize child never counted in the parent's counter); missing parents are ignored.
   * With `closesRowsWithoutClosingWorkAt`, claimed rows without closing work are closed at once.
   */
  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus', request)
    const claimed = this.claim({
      candidates: this.withFinishedAndCloseStatus(request.isFinished, request.closeStatus),
      matches: (row) =>
        row.isFinished === request.isFinished && row.closeStatus === request.closeStatus,
      sortKey: (row) => row.updatedAt,
      update: request.update,
      limit: request.limit,
    })
    const closedAt = request.closesRowsWithoutClosingWorkAt
    for (const entry of claimed) {
      if (closedAt !== undefined && !hasClosingWork(entry.row)) {
        // Never before the row finished (a finish may be newer than the sweep's clock reading).
        const at = Math.max(closedAt, entry.row.finishedAt ?? closedAt)
        this.updateEntry(entry, { closeStatus: 'closed', closedAt: at, updatedAt: request.update.updatedAt }, undefined)
      }
      const child = entry.row
      if (!child.parent || child.parent.isFinalizeOfParent) continue
      const parent = this.entries.get(child.parent.executionId)
      if (!parent) continue
      // Neither field is indexed, so the parent can change in place.
      parent.row.activeChildrenCount = parent.row.activeChildrenCount - 1
      parent.row.updatedAt = request.update.updatedAt
    }
    return claimed.length
  }

  /** This process's clock: the storage lives in it. */
  async getCurrentTimeMs(): Promise<number> {
    return Date.now()
  }

  /** Deletes one row; its `sleepingTaskUniqueId`, if any, becomes free again. */
  async deleteById(request: { executionId: string }): Promise<void> {
    checkTaskExecutionStorageRequest('deleteById', request)
    const entry = this.entries.get(request.executionId)
    if (!entry) return
    const { row } = entry
    this.entries.delete(row.executionId)
    this.indexes.forEach((index, position) => index.remove(entry, entry.indexKeys[position]))
    entry.readyItem = undefined
    if (row.sleepingTaskUniqueId !== undefined) {
      this.executionIdBySleepingTaskUniqueId.delete(row.sleepingTaskUniqueId)
    }
    if (row.parent) {
      this.childExecutionIdsByParentExecutionId.get(row.parent.executionId)?.delete(row.executionId)
    }
  }

  /**
   * Retention (beyond upstream): deletes the finished-and-closed executions closed at least
   * `olderThanMs` ago whose parent and children are all finished and closed; with `dryRun`, only
   * counts them. `batchSize` is checked but moot here.
   */
  async purge(options: PurgeTaskExecutionsOptions): Promise<PurgeTaskExecutionsResult> {
    checkPurgeOptions(options)
    const closedBefore = Date.now() - options.olderThanMs
    const executionIds = purgeableExecutionIds([...this.entries.values()].map((entry) => entry.row), closedBefore)
    if (options.dryRun !== true) for (const executionId of executionIds) await this.deleteById({ executionId })
    return { executions: executionIds.length, closedBefore }
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
    const rows = new Map<string, TaskExecutionStorageValue>()
    for (const [executionId, entry] of this.entries) {
      rows.set(executionId, cloneTaskExecutionStorageValue(entry.row))
    }
    await write(stringify(rows))
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
    console.log(`Task executions (${this.entries.size}):`)
    for (const entry of this.entries.values()) {
      console.log(JSON.stringify(cloneTaskExecutionStorageValue(entry.row), undefined, 2))
    }
  }

  private childrenOf(parentExecutionId: string): Array<StoredEntry> {
    const childIds = this.childExecutionIdsByParentExecutionId.get(parentExecutionId)
    if (!childIds) return []
    const children: Array<StoredEntry> = []
    for (const childId of childIds) {
      const child = this.entries.get(childId)
      if (child) children.push(child)
    }
    return children
  }

  /** Applies an update to a stored row and moves it between index groups as its keys change. */
  private updateEntry(
    entry: StoredEntry,
    update: TaskExecutionStorageUpdate,
    updateExpiresAtWithStartedAt: number | undefined,
  ): void {
    const { row, indexKeys } = entry
    applyUpdateToStoredRow(row, update, updateExpiresAtWithStartedAt)
    const indexes = this.indexes
    for (let position = 0; position < indexes.length; position++) {
      const index = indexes[position]!
      const before = indexKeys[position]
      const after = index.keyOf(row)
      if (after === before) continue
      index.remove(entry, before)
      index.add(entry, after)
      indexKeys[position] = after
    }
    this.readyQueue.sync(entry)
  }

  /** Every row that can have the status: its index group, or all rows if it has none. */
  private withStatus(status: string): ClaimQuery['candidates'] {
    const key = statusKey(status)
    return [key === undefined ? this.entries.values() : this.byStatus.group(key)]
  }

  /** Every row that can have both values: their index group, or all rows if they have none. */
  private withFinishedAndCloseStatus(
    isFinished: boolean,
    closeStatus: string,
  ): ClaimQuery['candidates'] {
    const key = finishedAndCloseStatusKey(isFinished, closeStatus)
    return [key === undefined ? this.entries.values() : this.byFinishedAndCloseStatus.group(key)]
  }

  /** Every row that can have the close status, each once. */
  private withCloseStatus(closeStatus: string): ClaimQuery['candidates'] {
    const finishedKey = finishedAndCloseStatusKey(true, closeStatus)
    const activeKey = finishedAndCloseStatusKey(false, closeStatus)
    if (finishedKey === undefined || activeKey === undefined) return [this.entries.values()]
    return [
      this.byFinishedAndCloseStatus.group(finishedKey),
      this.byFinishedAndCloseStatus.group(activeKey),
    ]
  }

  private claimAndCopy(query: ClaimQuery): Array<TaskExecutionStorageValue> {
    return this.claim(query).map((entry) => cloneTaskExecutionStorageValue(entry.row))
  }

  /** Updates the matching rows in sort-key order, up to the limit, and returns their entries. */
  private claim(query: ClaimQuery): Array<StoredEntry> {
    if (query.limit <= 0) return []
    // Collected before any update, because updating moves entries between index groups.
    const first = new FirstCandidates(query.limit)
    for (const group of query.candidates) {
      if (!group) continue
      for (const entry of group) {
        if (!query.matches(entry.row)) continue
        const key = query.sortKey(entry.row)
        if (key !== undefined) first.offer(key, entry)
      }
    }
    return first.sorted().map((entry) => {
      this.updateEntry(entry, query.update, query.updateExpiresAtWithStartedAt)
      return entry
    })
  }

  /** Throws, naming the offending value, if any row could not be inserted; inserts nothing. */
  private assertInsertable(executions: ReadonlyArray<TaskExecutionStorageValue>): void {
    const executionIdsInCall = new Set<string>()
    const uniqueIdsInCall = new Set<string>()
    for (const execution of executions) {
      const { executionId, sleepingTaskUniqueId } = execution
      if (this.entries.has(executionId)) {
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
    for (const execution of executions) this.storeRow(execution)
  }

  private storeRow(value: TaskExecutionStorageValue): void {
    const row = createStoredRow(value)
    const indexKeys = this.indexes.map((index) => index.keyOf(row))
    const entry: StoredEntry = {
      row,
      insertionOrder: this.nextInsertionOrder++,
      indexKeys,
      readyItem: undefined,
    }
    this.entries.set(row.executionId, entry)
    this.indexes.forEach((index, position) => index.add(entry, indexKeys[position]))
    this.readyQueue.sync(entry)
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
    this.entries = new Map()
    this.executionIdBySleepingTaskUniqueId = new Map()
    this.childExecutionIdsByParentExecutionId = new Map()
    for (const index of this.indexes) index.clear()
    this.readyQueue = new ReadyQueue()
    for (const row of rows) this.storeRow(row)
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
