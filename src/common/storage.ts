/**
 * The SQL storage, written once over the dialect seam (spec 2, 6.2): batched reads as one
 * `SELECT … IN (…)`, chunked multi-row inserts, merged conditional updates with a per-request
 * fallback, claims in one transaction each, and the storage's own retry of conflicts.
 */
import { and, eq, inArray, lt, type SQL } from 'drizzle-orm'
import {
  checkTaskExecutionStorageRequest,
  checkTaskExecutionStorageRequests,
  checkTaskExecutionStorageValues,
  createMutex,
  generateTaskExecutionId,
  matchesGetByIdFilters,
  TaskExecutionsStorageRequestsError,
  type Mutex,
  type TaskExecutionsStorage,
  type TaskExecutionsStorageGetByIdRequest,
  type TaskExecutionChildResult,
  type TaskExecutionsStorageGetByParentExecutionIdRequest,
  type TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  type TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  type TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  type TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  type TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  type TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  type TaskExecutionsStorageUpdateByIdRequest,
  type TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  type TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  type TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  type TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  type TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  type TaskExecutionsStorageTransaction,
  type TaskExecutionsStorageChange,
  type TaskExecutionsStorageChangeSubscription,
  type TaskExecutionsStorageFindSweepWorkRequest,
  type TaskExecutionsStorageSweepWork,
  type TaskExecutionStorageValue,
} from '../core/index.js'
import { taskExecutionsIndexSpec, type TaskExecutionsColumnKey, type TaskExecutionsRow } from './columns.js'
import { definedFilterEntries, filtersCondition, updateToSet } from './conditions.js'
import type { TaskExecutionsDialect } from './dialect.js'
import { classifyDatabaseError, runWithConflictRetry, toStorageError } from '../sql/errors.js'
import { runClaim, type Claim } from './claims.js'
import { explainDuplicateKeys, insertTaskExecutionValues, PARAMETERS_PER_ROW } from './insert.js'
import { buildMergedUpdate, chunkMergeGroup, planMergedUpdates, toMergeable, type MergeableUpdate } from './merged-update.js'
import { taskExecutionRowToValue, taskExecutionValueToInsertRow } from './row-mapping.js'
import { chunkItems, estimateValueBytes } from '../sql/chunks.js'
import { changeNotificationPayload, parseChangeNotification, pollVersion, wakesOtherExecutors, watchVersion } from './change-signal.js'
import { guardDriverErrors } from '../sql/driver-errors.js'
import { checkRowsFitPacket } from '../sql/packet-limit.js'
import { checkTaskExecutionsTable } from './table-check.js'
import { findSweepWork } from './sweep-work.js'
import { purgeTaskExecutions } from './retention.js'
import type { PurgeTaskExecutionsOptions, PurgeTaskExecutionsResult } from '../core/retention.js'
import { inspectTaskExecutions, type InspectTaskExecutionsOptions, type TaskExecutionsOverview } from './overview.js'

/** The index each claim walks (spec 3.3): made for its WHERE and its order. */
const CLAIM_INDEXES = {
  byStatusAndStartAt: taskExecutionsIndexSpec('status_start_at'),
  childrenFinished: taskExecutionsIndexSpec('status_ocfp_status_acc_updated_at'),
  byCloseStatus: taskExecutionsIndexSpec('close_status_updated_at'),
  expiredRuns: taskExecutionsIndexSpec('status_is_sleeping_task_expires_at'),
  expiredChildrenProcessing: taskExecutionsIndexSpec('on_ocfp_expires_at'),
  expiredClosing: taskExecutionsIndexSpec('close_expires_at'),
  promiseCancellation: taskExecutionsIndexSpec('executor_id_npc_updated_at'),
  finishedByCloseStatus: taskExecutionsIndexSpec('is_finished_close_status_updated_at'),
}

/** Options of every SQL storage. */
export type SqlTaskExecutionsStorageOptions = {
  /**
   * Lets `deleteById` and `deleteAll` really delete (they do nothing otherwise). For tests and
   * benchmarks only. Defaults to `false`.
   */
  enableTestMode?: boolean
}


/** A task-executions storage over one SQL table; the dialect supplies the SQL. */
export class SqlTaskExecutionsStorage<TDb> implements TaskExecutionsStorage {
  private readonly mutex: Mutex | undefined
  private readonly enableTestMode: boolean
  /** Names this object in its notifications, so that its own listeners skip them. */
  private readonly notificationSenderId = generateTaskExecutionId()
  /** The `subscribeToChanges` callbacks of this object that listen for notifications. */
  private readonly notifiedSubscribers = new Set<(change?: TaskExecutionsStorageChange) => void>()
  /** The claims (by operation) whose last run claimed nothing: the next looks before its transaction. */
  private readonly claimsThatFoundNothing = new Set<string>()

  /**
   * Made by the dialects' `create…TaskExecutionsStorage` factories.
   * @internal
   * @param db - the drizzle database of the dialect.
   * @param dialect - the dialect's primitives over the table.
   * @param options - see {@link SqlTaskExecutionsStorageOptions}.
   */
  constructor(
    private readonly db: TDb,
    private readonly dialect: TaskExecutionsDialect<TDb>,
    options: SqlTaskExecutionsStorageOptions = {},
  ) {
    // A dropped connection must fail the query in flight, never end the process.
    guardDriverErrors(db)
    this.mutex = dialect.capabilities.oneOperationAtATime ? createMutex() : undefined
    this.enableTestMode = options.enableTestMode ?? false
  }

  /** Binds inserts to a transaction of the same database that the caller opened and will end. */
  bindToTransaction(tx: TDb): TaskExecutionsStorageTransaction {
    return {
      insertMany: async (executions) => {
        checkTaskExecutionStorageValues('insertMany', executions)
        await this.checkPacketFits('insertMany', () => insertedRows(executions))
        try {
          // The notification goes out when the caller's transaction commits, and not at all on rollback;
          // no sender: this object cannot tell its own subscribers when that is.
          await insertTaskExecutionValues(this.dialect, tx, executions, 'caller-transaction', this.notifyStatement(tx, 'enqueued', ''))
        } catch (error) {
          const explained = await explainDuplicateKeys(this.dialect, this.db, executions, error)
          throw toStorageError(explained, this.dialect.errorCodes, this.errorContext('insertMany'))
        }
      },
    }
  }

  async insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    checkTaskExecutionStorageValues('insertMany', executions)
    if (executions.length === 0) return
    await this.checkPacketFits('insertMany', () => insertedRows(executions))
    // All rows or none, never some: the rows may belong to several callers (see
    // TaskExecutionsStorageRequestsError), so there is no per-row fallback here.
    await this.run('insertMany', () =>
      insertTaskExecutionValues(
        this.dialect,
        this.db,
        executions,
        'own-transaction',
        this.notifyStatement(this.db, 'enqueued', this.notificationSenderId),
      ),
    )
    this.wakeNotifiedSubscribers('enqueued')
  }

  /**
   * Calls `onChange` when another process may have made work ready (beyond upstream): a LISTEN
   * on PostgreSQL, fed by the notifications enqueues, cancels, wake-ups and hand-backs send; on
   * MySQL and SQLite a cheap version (the highest id, SQLite's `data_version`), read after each
   * write to a SQLite database file (watched), otherwise polled every 25 ms while changes come and
   * every second when quiet. On PostgreSQL the listener skips this object's
   * own notifications: the object calls its subscribers itself once the write committed, so an
   * executor does not sweep again for its own writes while executors sharing the object still
   * wake each other.
   */
  async subscribeToChanges(
    onChange: (change?: TaskExecutionsStorageChange) => void,
  ): Promise<TaskExecutionsStorageChangeSubscription> {
    const signal = this.dialect.changeSignal(this.db)
    if (signal.kind === 'notify') {
      const listener = await signal.listen(this.db, this.changeChannel, (payload) => {
        const { change, senderId } = parseChangeNotification(payload)
        if (senderId !== this.notificationSenderId) onChange(change)
      })
      this.notifiedSubscribers.add(onChange)
      return {
        unsubscribe: async () => {
          this.notifiedSubscribers.delete(onChange)
          await listener.close()
        },
      }
    }
    const readVersion = () => this.run('subscribeToChanges', () => this.dialect.selectChangeVersion(this.db, signal.versionQuery))
    const file = signal.watchedFile?.(this.db)
    const newVersionMeans = signal.onlyInsertsChangeVersion === true ? 'enqueued' : undefined
    const poll = await (file === undefined ? pollVersion(readVersion, onChange, newVersionMeans) : watchVersion(file, readVersion, onChange))
    return { unsubscribe: () => poll.stop() }
  }

  /** The notification channel of this table. */
  private get changeChannel(): string {
    return `de_changes_${this.dialect.tableName}`
  }

  /**
   * The SELECT that notifies listeners of this table, where the dialect has notifications;
   * `senderId` is this object's id, or empty when its own subscribers must hear it too.
   */
  private notifyStatement(db: TDb, change: TaskExecutionsStorageChange, senderId: string): SQL | undefined {
    const signal = this.dialect.changeSignal(db)
    return signal.kind === 'notify' ? signal.notify(this.changeChannel, changeNotificationPayload(change, senderId)) : undefined
  }

  /** Calls this object's listening subscribers for a write it committed (they skip its notification). */
  private wakeNotifiedSubscribers(change: TaskExecutionsStorageChange): void {
    for (const onChange of this.notifiedSubscribers) onChange(change)
  }

  /** Tells other processes' executors about writes that make work only they can pick up. */
  private async notifyAfterUpdates(requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>): Promise<void> {
    const notify = this.notifyStatement(this.db, undefined, this.notificationSenderId)
    if (!notify || !requests.some((request) => wakesOtherExecutors(request.update, request.filters))) return
    // After the updates committed: a listener that looks now finds them.
    await this.dialect.executeStatement(this.db, notify)
    this.wakeNotifiedSubscribers(undefined)
  }

  async getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    checkTaskExecutionStorageRequests('getManyById', requests)
    if (requests.length === 0) return []
    return this.run('getManyById', async () => {
      const rows = await this.selectByKeys('executionId', requests.map((request) => request.executionId))
      const rowsById = new Map(rows.map((row) => [row.executionId, row]))
      return requests.map((request) => {
        const row = rowsById.get(request.executionId)
        const value = row ? taskExecutionRowToValue(row) : undefined
        return value && matchesGetByIdFilters(value, request.filters) ? value : undefined
      })
    })
  }

  async getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    checkTaskExecutionStorageRequests('getManyBySleepingTaskUniqueId', requests)
    if (requests.length === 0) return []
    return this.run('getManyBySleepingTaskUniqueId', async () => {
      const keys = requests.map((request) => request.sleepingTaskUniqueId)
      const rows = await this.selectByKeys('sleepingTaskUniqueId', keys)
      const rowsByKey = new Map(rows.map((row) => [row.sleepingTaskUniqueId, row]))
      return keys.map((key) => {
        const row = rowsByKey.get(key)
        return row ? taskExecutionRowToValue(row) : undefined
      })
    })
  }

  async getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    return this.readByParent('getManyByParentExecutionId', requests, this.dialect.selectRows, (row) => ({
      parentExecutionId: row.parentExecutionId,
      result: taskExecutionRowToValue(row),
    }))
  }

  /** What a parent's finalize takes of each child: its result columns only (beyond upstream). */
  async getManyChildResultsByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionChildResult>>> {
    return this.readByParent('getManyChildResultsByParentExecutionId', requests, this.dialect.selectChildResults, (row) => row)
  }

  /** The children of each request's parent, read by `select` and each made a `result` by `toResult`. */
  private async readByParent<TRow, TResult>(
    operation: string,
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
    select: (db: TDb, where: SQL) => Promise<Array<TRow>>,
    toResult: (row: TRow) => { parentExecutionId: unknown; result: TResult },
  ): Promise<Array<Array<TResult>>> {
    checkTaskExecutionStorageRequests(operation, requests)
    if (requests.length === 0) return []
    return this.run(operation, async () => {
      const keys = requests.map((request) => request.parentExecutionId)
      const children = (await this.selectByKeysWith('parentExecutionId', keys, select)).map(toResult)
      return keys.map((key) => children.filter((child) => child.parentExecutionId === key).map((child) => child.result))
    })
  }

  /** Answers whether each request's row matched (fencing reports a stale writer's write this way). */
  async updateManyById(requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>): Promise<Array<boolean>> {
    checkTaskExecutionStorageRequests('updateManyById', requests)
    if (requests.length === 0) return []
    await this.checkPacketFits('updateManyById', () => updatedRows(requests))
    return this.run('updateManyById', async () => {
      const matches = await this.runUpdates('updateManyById', 'executionId', requests.map(toMergeableByIdUpdate), () => true, true)
      await this.notifyAfterUpdates(requests)
      return matches
    })
  }

  /** Answers whether each request's row matched. */
  async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<Array<boolean>> {
    checkTaskExecutionStorageRequests('updateManyByIdAndInsertChildrenIfUpdated', requests)
    if (requests.length === 0) return []
    await this.checkPacketFits('updateManyByIdAndInsertChildrenIfUpdated', () => [
      ...updatedRows(requests),
      ...requests.flatMap((request, index) =>
        insertedRows(request.childrenTaskExecutionsToInsertIfAnyUpdated, `requests[${index}].childrenTaskExecutionsToInsertIfAnyUpdated`),
      ),
    ])
    const operation = 'updateManyByIdAndInsertChildrenIfUpdated'
    const hasChildren = (index: number) =>
      (requests[index]?.childrenTaskExecutionsToInsertIfAnyUpdated.length ?? 0) > 0
    return this.run(operation, () =>
      this.runUpdates(
        operation,
        'executionId',
        requests.map(toMergeableByIdUpdate),
        (index) => !hasChildren(index),
        true,
        (indexes) => this.updateAndInsertChildren(indexes.map((index) => requests[index]!)),
      ),
    )
  }

  async updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    checkTaskExecutionStorageRequests('updateManyByParentExecutionIdAndIsFinished', requests)
    if (requests.length === 0) return
    await this.checkPacketFits('updateManyByParentExecutionIdAndIsFinished', () => updatedRows(requests))
    const mergeables = requests.map((request) =>
      toMergeable(request.parentExecutionId, [['isFinished', request.isFinished]], request.update),
    )
    await this.run('updateManyByParentExecutionIdAndIsFinished', () =>
      this.runUpdates('updateManyByParentExecutionIdAndIsFinished', 'parentExecutionId', mergeables, () => true, false),
    )
  }

  async updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByStatusAndStartAtLessThanAndReturn', request)
    const { columns } = this.dialect
    return this.claimAndReturn('updateByStatusAndStartAtLessThanAndReturn', {
      where: and(eq(columns.status, request.status), lt(columns.startAt, request.startAtLessThan)),
      orderBy: 'startAt',
      index: CLAIM_INDEXES.byStatusAndStartAt,
      limit: request.limit,
      update: request.update,
      expiresAtBase: request.updateExpiresAtWithStartedAt,
      returnsRunValues: request.returnsRunFieldsOnly === true && request.status === 'ready',
    })
  }

  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn', request)
    const { columns } = this.dialect
    return this.claimAndReturn(
      'updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn',
      {
        where: and(
          eq(columns.status, request.status),
          eq(columns.onChildrenFinishedProcessingStatus, request.onChildrenFinishedProcessingStatus),
          eq(columns.activeChildrenCount, 0),
        ),
        orderBy: 'updatedAt',
        index: CLAIM_INDEXES.childrenFinished,
        limit: request.limit,
        update: request.update,
      },
    )
  }

  async updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByCloseStatusAndReturn', request)
    return this.claimAndReturn('updateByCloseStatusAndReturn', {
      where: eq(this.dialect.columns.closeStatus, request.closeStatus),
      orderBy: 'updatedAt',
      index: CLAIM_INDEXES.byCloseStatus,
      limit: request.limit,
      update: request.update,
    })
  }

  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan', request)
    const { columns } = this.dialect
    return this.claimAndCount('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan', {
      where: and(
        eq(columns.status, request.status),
        eq(columns.isSleepingTask, request.isSleepingTask),
        lt(columns.expiresAt, request.expiresAtLessThan),
      ),
      orderBy: 'expiresAt',
      index: CLAIM_INDEXES.expiredRuns,
      limit: request.limit,
      update: request.update,
      incrementsExpiryCount: request.incrementExpiryCount === true,
    })
  }

  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateByOnChildrenFinishedProcessingExpiresAtLessThan', request)
    const { columns } = this.dialect
    return this.claimAndCount('updateByOnChildrenFinishedProcessingExpiresAtLessThan', {
      where: lt(columns.onChildrenFinishedProcessingExpiresAt, request.onChildrenFinishedProcessingExpiresAtLessThan),
      orderBy: 'onChildrenFinishedProcessingExpiresAt',
      index: CLAIM_INDEXES.expiredChildrenProcessing,
      limit: request.limit,
      update: request.update,
    })
  }

  async updateByCloseExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateByCloseExpiresAtLessThan', request)
    return this.claimAndCount('updateByCloseExpiresAtLessThan', {
      where: lt(this.dialect.columns.closeExpiresAt, request.closeExpiresAtLessThan),
      orderBy: 'closeExpiresAt',
      index: CLAIM_INDEXES.expiredClosing,
      limit: request.limit,
      update: request.update,
    })
  }

  async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    checkTaskExecutionStorageRequest('updateByExecutorIdAndNeedsPromiseCancellationAndReturn', request)
    const { columns } = this.dialect
    return this.claimAndReturn('updateByExecutorIdAndNeedsPromiseCancellationAndReturn', {
      where: and(
        eq(columns.executorId, request.executorId),
        eq(columns.needsPromiseCancellation, request.needsPromiseCancellation),
      ),
      orderBy: 'updatedAt',
      index: CLAIM_INDEXES.promiseCancellation,
      limit: request.limit,
      update: request.update,
    })
  }

  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    checkTaskExecutionStorageRequest('updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus', request)
    const { columns } = this.dialect
    return this.claimAndCount('updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus', {
      where: and(eq(columns.isFinished, request.isFinished), eq(columns.closeStatus, request.closeStatus)),
      orderBy: 'updatedAt',
      index: CLAIM_INDEXES.finishedByCloseStatus,
      limit: request.limit,
      update: request.update,
      releasesChildrenToParents: true,
      closesRowsWithoutClosingWorkAt: request.closesRowsWithoutClosingWorkAt,
    })
  }

  /** Which of the executor's sweeps would find work: one SELECT of one EXISTS per sweep. */
  async findSweepWork(request: TaskExecutionsStorageFindSweepWorkRequest): Promise<TaskExecutionsStorageSweepWork> {
    checkTaskExecutionStorageRequest('findSweepWork', request)
    return this.run('findSweepWork', () => findSweepWork(this.dialect, this.db, request))
  }

  /** The database's clock in milliseconds since the epoch (the executor computes leases on it). */
  async getCurrentTimeMs(): Promise<number> {
    return this.run('getCurrentTimeMs', () => this.dialect.selectCurrentTimeMs(this.db))
  }

  async deleteById(request: { executionId: string }): Promise<void> {
    checkTaskExecutionStorageRequest('deleteById', request)
    if (!this.enableTestMode) return
    await this.run('deleteById', () =>
      // Test helper: removes one row (test mode only).
      this.dialect.deleteRows(this.db, eq(this.dialect.columns.executionId, request.executionId)),
    )
  }

  async deleteAll(): Promise<void> {
    if (!this.enableTestMode) return
    // Test helper: empties the table (test mode only).
    await this.run('deleteAll', () => this.dialect.deleteRows(this.db, undefined))
  }

  /**
   * Beyond upstream: throws a `TaskExecutionsTableMissingError` (naming the table, the missing
   * columns and how to create them) when the table is missing or lacks columns.
   * `DurableExecutor.start()` calls it before any background loop starts.
   */
  async checkReady(): Promise<void> {
    await this.run('checkReady', () => checkTaskExecutionsTable(this.db, this.dialect))
  }

  /**
   * Retention (beyond upstream): deletes finished-and-closed executions closed at least
   * `olderThanMs` ago, in batches of `batchSize`, keeping every row an unfinished parent or child
   * still needs; with `dryRun`, only counts them.
   */
  async purge(options: PurgeTaskExecutionsOptions): Promise<PurgeTaskExecutionsResult> {
    return this.run('purge', () => purgeTaskExecutions(this.db, this.dialect, options))
  }

  /** Read-only overview (beyond upstream): counts by status and task id, oldest ready, expired leases, recent failures. */
  async inspect(options: InspectTaskExecutionsOptions = {}): Promise<TaskExecutionsOverview> {
    return this.run('inspect', () => inspectTaskExecutions(this.db, this.dialect, options))
  }

  /** Refuses, before anything is sent, rows too large for one statement on this server (MySQL's packet limit). */
  private async checkPacketFits(operation: string, rows: () => ReadonlyArray<{ field: string; values: object }>): Promise<void> {
    let limit: number
    try {
      limit = await this.dialect.readPacketLimit(this.db)
    } catch (error) {
      throw toStorageError(error, this.dialect.errorCodes, this.errorContext(operation))
    }
    if (limit !== Number.POSITIVE_INFINITY) checkRowsFitPacket(operation, this.dialect.dialectName, limit, rows())
  }

  private errorContext(operation: string) {
    return { dialectName: this.dialect.dialectName, tableName: this.dialect.tableName, operation }
  }

  /** Runs one storage call: alone when the dialect needs it, with errors made readable. */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      try {
        return await fn()
      } catch (error) {
        throw toStorageError(error, this.dialect.errorCodes, this.errorContext(operation))
      }
    }
    return this.mutex ? this.mutex.runExclusive(guarded) : guarded()
  }

  /** Runs independent units concurrently, or one after another on a single-connection driver. */
  private async runEach(units: ReadonlyArray<() => Promise<void>>): Promise<void> {
    if (!this.mutex) {
      await Promise.all(units.map((unit) => unit()))
      return
    }
    for (const unit of units) await unit()
  }

  private async selectByKeys(keyColumn: TaskExecutionsColumnKey, keys: ReadonlyArray<string>): Promise<Array<TaskExecutionsRow>> {
    return this.selectByKeysWith(keyColumn, keys, this.dialect.selectRows)
  }

  /** The rows whose `keyColumn` is one of `keys`, read by `select`, in chunks the database takes. */
  private async selectByKeysWith<TRow>(
    keyColumn: TaskExecutionsColumnKey,
    keys: ReadonlyArray<string>,
    select: (db: TDb, where: SQL) => Promise<Array<TRow>>,
  ): Promise<Array<TRow>> {
    const uniqueKeys = [...new Set(keys)]
    const chunks = chunkItems(
      uniqueKeys,
      { maxItems: this.dialect.limits.boundParameters - 64, maxBytes: Number.POSITIVE_INFINITY },
      () => 0,
    )
    const rows: Array<TRow> = []
    await this.runEach(
      chunks.map((chunk) => async () => {
        // One read for the whole batch of requests; filters are applied per request in memory.
        const where = inArray(this.dialect.columns[keyColumn], chunk)
        rows.push(...(await runWithConflictRetry(() => select(this.db, where), this.dialect.errorCodes)))
      }),
    )
    return rows
  }

  /**
   * Applies updates request by request semantics: rounds keep two updates of one key in order,
   * requests of one shape share a statement, and when a shared statement fails its requests are
   * retried one by one so that only the offending ones fail. With `reportsMatches`, answers
   * whether each request's row matched (by-id updates only).
   */
  private async runUpdates(
    operation: string,
    keyColumn: TaskExecutionsColumnKey,
    requests: ReadonlyArray<MergeableUpdate>,
    canMerge: (index: number) => boolean,
    reportsMatches: boolean,
    runUnmergeable: (indexes: ReadonlyArray<number>) => Promise<ReadonlyArray<boolean>> = (indexes) =>
      this.runEachCollecting(indexes.map((index) => () => this.updateMerged(keyColumn, [requests[index]!], reportsMatches))),
  ): Promise<Array<boolean>> {
    const errors: Array<unknown> = requests.map(() => undefined)
    const matches: Array<boolean> = requests.map(() => false)
    const attempt = async (indexes: ReadonlyArray<number>) => {
      try {
        const chunkMatches = await (canMerge(indexes[0]!)
          ? this.updateMerged(keyColumn, indexes.map((index) => requests[index]!), reportsMatches)
          : runUnmergeable(indexes))
        indexes.forEach((index, position) => (matches[index] = chunkMatches[position] ?? false))
      } catch (error) {
        if (indexes.length === 1 || classifyDatabaseError(error, this.dialect.errorCodes) === 'connection_lost') {
          for (const index of indexes) errors[index] = error
          return
        }
        await this.runEach(indexes.map((index) => () => attempt([index])))
      }
    }
    for (const round of planMergedUpdates(requests, canMerge)) {
      const chunks = round.flatMap((group) => chunkMergeGroup(requests, group, this.dialect.limits))
      await this.runEach(chunks.map((chunk) => () => attempt(chunk)))
    }
    const failures = errors.filter((error) => error !== undefined)
    if (failures.length === 0) return matches
    if (requests.length === 1) throw toStorageError(failures[0], this.dialect.errorCodes, this.errorContext(operation))
    const requestErrors = errors.map((error) =>
      error === undefined ? undefined : toStorageError(error, this.dialect.errorCodes, this.errorContext(operation)),
    )
    // The requests that took effect still say whether their row matched.
    const requestResults = reportsMatches ? matches : undefined
    throw new TaskExecutionsStorageRequestsError(operation, requests.map((request) => request.key), requestErrors, requestResults)
  }

  /** {@link runEach}, collecting each unit's matches in order. */
  private async runEachCollecting(units: ReadonlyArray<() => Promise<ReadonlyArray<boolean>>>): Promise<Array<boolean>> {
    const results: Array<ReadonlyArray<boolean>> = []
    await this.runEach(units.map((unit, index) => async () => void (results[index] = await unit())))
    return results.flat()
  }

  /**
   * One UPDATE for requests of one shape, answering whether each matched when asked: from
   * RETURNING where the dialect has it, else from the matched count, and when the count says
   * some did not match (a stale writer, rare) from the rows read back.
   */
  private async updateMerged(
    keyColumn: TaskExecutionsColumnKey,
    requests: ReadonlyArray<MergeableUpdate>,
    reportsMatches: boolean,
  ): Promise<ReadonlyArray<boolean>> {
    const { set, where } = buildMergedUpdate(this.dialect.columns, this.dialect.typedValue, keyColumn, requests)
    const { errorCodes, updateRowsReturningIdSet } = this.dialect
    if (!reportsMatches) {
      // One UPDATE for all requests of one shape: shared filters in WHERE, per-row values by CASE.
      await runWithConflictRetry(() => this.dialect.updateRowsUncounted(this.db, set, where), errorCodes)
      return []
    }
    if (updateRowsReturningIdSet) {
      // The same UPDATE; RETURNING names the rows that matched.
      const matched = await runWithConflictRetry(() => updateRowsReturningIdSet(this.db, set, where), errorCodes)
      return requests.map((request) => matched.has(request.key))
    }
    // The same UPDATE, counting the rows it matched.
    const count = await runWithConflictRetry(() => this.dialect.updateRows(this.db, set, where), errorCodes)
    if (count === requests.length) return requests.map(() => true)
    if (requests.length === 1 || count === 0) return requests.map(() => count > 0)
    return this.readBackMatches(requests)
  }

  /**
   * Which of the requests of a merged UPDATE that matched fewer rows than requests did match, on a
   * dialect without RETURNING (MySQL): a row that took its update holds that update's `updatedAt`
   * and, for a fenced write, still its lease token. A later write to the same row in between
   * would make it read as missed; that is reported, never the reverse.
   */
  private async readBackMatches(requests: ReadonlyArray<MergeableUpdate>): Promise<Array<boolean>> {
    const rows = await this.selectByKeys('executionId', requests.map((request) => request.key))
    const rowsByKey = new Map(rows.map((row) => [row.executionId, row]))
    return requests.map((request) => {
      const row = rowsByKey.get(request.key)
      const leaseToken = request.filters.find(([key]) => key === 'leaseToken')?.[1]
      return (
        row !== undefined &&
        Number(row.updatedAt) === request.update.updatedAt &&
        (leaseToken === undefined || row.leaseToken === leaseToken)
      )
    })
  }

  /**
   * Conditional updates whose children are inserted iff they match, in one statement where the
   * dialect can ({@link updateAndInsertChildrenInOneStatement}), else in one transaction: the
   * updates (requests of one shape merged into one UPDATE … RETURNING the matched ids where the
   * dialect can; without RETURNING merged when every row matches, otherwise one by one, in key
   * order so concurrent batches lock alike), then one insert of the children of the requests that
   * matched. Answers whether each matched.
   */
  private async updateAndInsertChildren(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<Array<boolean>> {
    const inKeyOrder = [...requests].sort((left, right) => (left.executionId < right.executionId ? -1 : 1))
    const children = inKeyOrder.flatMap((request) => request.childrenTaskExecutionsToInsertIfAnyUpdated)
    const inOneStatement = this.updateAndInsertChildrenInOneStatement(inKeyOrder)
    // Not writeTransaction: an UPDATE filtered on a unique key may still scan another index
    // (MariaDB picks (status, start_at) when the estimates tie), and under REPEATABLE READ that
    // scan's next-key locks would block other inserts until COMMIT.
    const inTransaction = (mergesWithoutReturning: boolean) =>
      this.dialect.transaction(this.db, async (tx) => {
        const matchedIds = await this.updateReportingMatches(tx, inKeyOrder.map(toMergeableByIdUpdate), mergesWithoutReturning)
        const childrenOfMatched = inKeyOrder.flatMap((request) =>
          matchedIds.has(request.executionId) ? request.childrenTaskExecutionsToInsertIfAnyUpdated : [],
        )
        await insertTaskExecutionValues(this.dialect, tx, childrenOfMatched, 'caller-transaction')
        return matchedIds
      })
    const matched = await runWithConflictRetry(
      () =>
        inOneStatement?.() ??
        // Without RETURNING, a merged UPDATE that missed a row cannot say which: roll back, then one by one.
        inTransaction(true).catch((error: unknown) => {
          if (error instanceof MergedUpdateMissedRows) return inTransaction(false)
          throw error
        }),
      this.dialect.errorCodes,
    ).catch(async (error: unknown) => {
      throw await explainDuplicateKeys(this.dialect, this.db, children, error)
    })
    return requests.map((request) => matched.has(request.executionId))
  }

  /**
   * {@link updateAndInsertChildren} as one statement, where the dialect can and the requests make
   * one merged UPDATE whose children fit one INSERT; `undefined` otherwise.
   */
  private updateAndInsertChildrenInOneStatement(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): (() => Promise<Set<string>>) | undefined {
    const { columns, limits, typedValue, updateInsertingChildren } = this.dialect
    if (!updateInsertingChildren) return undefined
    const mergeables = requests.map(toMergeableByIdUpdate)
    const [round, ...laterRounds] = planMergedUpdates(mergeables)
    if (!round || round.length !== 1 || laterRounds.length > 0) return undefined
    const children = requests.flatMap((request) =>
      request.childrenTaskExecutionsToInsertIfAnyUpdated.map((child) => ({
        owner: request.executionId,
        values: taskExecutionValueToInsertRow(child),
      })),
    )
    if (children.length === 0) return undefined
    // The owner key and the update's values travel with the rows: one row's worth more each.
    const statementLimits = {
      maxItems: Math.floor((limits.boundParameters - 64) / (PARAMETERS_PER_ROW + 1)),
      maxBytes: limits.statementBytes,
    }
    if (chunkItems<object>([...children, ...mergeables], statementLimits, estimateValueBytes).length > 1) return undefined
    const { set, where } = buildMergedUpdate(columns, typedValue, 'executionId', mergeables)
    return () => updateInsertingChildren(this.db, set, where, children)
  }

  /** Applies by-id updates inside `tx` and returns the ids of the rows that matched their filters. */
  private async updateReportingMatches(
    tx: TDb,
    requests: ReadonlyArray<MergeableUpdate>,
    mergesWithoutReturning: boolean,
  ): Promise<Set<string>> {
    const { columns, typedValue, updateRowsReturningIdSet } = this.dialect
    const matched = new Set<string>()
    for (const group of planMergedUpdates(requests).flat()) {
      for (const chunk of chunkMergeGroup(requests, group, this.dialect.limits)) {
        const chunkRequests = chunk.map((index) => requests[index]!)
        if (chunk.length > 1 && updateRowsReturningIdSet) {
          const { set, where } = buildMergedUpdate(columns, typedValue, 'executionId', chunkRequests)
          // One UPDATE for requests of one shape; RETURNING names the rows that matched.
          for (const executionId of await updateRowsReturningIdSet(tx, set, where)) matched.add(executionId)
          continue
        }
        if (chunk.length > 1 && mergesWithoutReturning) {
          const { set, where } = buildMergedUpdate(columns, typedValue, 'executionId', chunkRequests)
          // One UPDATE for requests of one shape (the keys are distinct): every row matched iff the count says so.
          if ((await this.dialect.updateRows(tx, set, where)) < chunk.length) throw new MergedUpdateMissedRows()
          for (const request of chunkRequests) matched.add(request.key)
          continue
        }
        for (const request of chunkRequests) {
          const where = and(eq(columns.executionId, request.key), filtersCondition(columns, Object.fromEntries(request.filters)))!
          // The conditional update decides whether this request's children exist.
          if ((await this.dialect.updateRows(tx, updateToSet(request.update), where)) > 0) matched.add(request.key)
        }
      }
    }
    return matched
  }

  private async claimAndReturn(operation: string, claim: Claim): Promise<Array<TaskExecutionStorageValue>> {
    if (!(claim.limit > 0)) return []
    return this.run(operation, async () => (await this.claimLookingFirstAfterNothing(operation, claim, true)).rows)
  }

  private async claimAndCount(operation: string, claim: Claim): Promise<number> {
    if (!(claim.limit > 0)) return 0
    return this.run(operation, async () => (await this.claimLookingFirstAfterNothing(operation, claim, false)).count)
  }

  /** Runs `claim`, looking before its transaction when this kind of claim found nothing last time. */
  private async claimLookingFirstAfterNothing(operation: string, claim: Claim, returnsRows: boolean) {
    const looksBeforeTransaction = this.claimsThatFoundNothing.has(operation)
    const result = await runClaim(this.dialect, this.db, { ...claim, looksBeforeTransaction }, returnsRows)
    if (result.count === 0) this.claimsThatFoundNothing.add(operation)
    else this.claimsThatFoundNothing.delete(operation)
    return result
  }
}

/** Thrown inside a transaction to roll back a merged UPDATE that matched fewer rows than requests. */
class MergedUpdateMissedRows extends Error {
  constructor() {
    super('A merged UPDATE matched fewer rows than it had requests; the transaction is rolled back and run request by request.')
  }
}

function toMergeableByIdUpdate(request: TaskExecutionsStorageUpdateByIdRequest): MergeableUpdate {
  return toMergeable(request.executionId, definedFilterEntries(request.filters), request.update)
}

/** The rows an insert sends, named by their place in the call. */
function insertedRows(values: ReadonlyArray<TaskExecutionStorageValue>, field = 'executions') {
  return values.map((value, index) => ({ field: `${field}[${index}]`, values: taskExecutionValueToInsertRow(value) }))
}

/** The values each update request sends, named by its place in the call. */
function updatedRows(requests: ReadonlyArray<{ update: object }>) {
  return requests.map((request, index) => ({ field: `requests[${index}].update`, values: request.update }))
}
