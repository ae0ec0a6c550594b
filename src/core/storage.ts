/**
 * The storage contract (spec 1.1, 1.2, 2.2-2.4): the persisted record of a task execution, the
 * filters and updates a storage must understand, and the two storage interfaces. No behaviour
 * lives here.
 */
import type { DurableExecutionErrorStorageValue } from './errors.js'
import type {
  TaskExecutionCloseStatus,
  TaskExecutionOnChildrenFinishedProcessingStatus,
  TaskExecutionStatus,
} from './status.js'

/** A value or a promise of it; storages may answer either way. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Retry policy of a task. `maxAttempts` counts retries: a run happens at most `maxAttempts + 1`
 * times. The delay before retry `k` (0-based) is `baseDelayMs * delayMultiplier^k`, capped by
 * `maxDelayMs`.
 */
export type TaskRetryOptions = {
  /** Number of retries, integer 0..1000. */
  maxAttempts: number
  /** Delay before the first retry in ms, integer 0..3 600 000. Defaults to 0. */
  baseDelayMs?: number
  /** Growth factor of the delay per retry, 0.1..10. Defaults to 1. */
  delayMultiplier?: number
  /** Upper bound of the delay in ms, integer 0..86 400 000, at least `baseDelayMs`. */
  maxDelayMs?: number
}

/** Identifies an execution: exactly these two keys. */
export type TaskExecutionSummary = {
  taskId: string
  executionId: string
}

/** The link from a child to its parent: exactly these five keys. */
export type ParentTaskExecutionSummary = TaskExecutionSummary & {
  indexInParentChildren: number
  isOnlyChildOfParent: boolean
  isFinalizeOfParent: boolean
}

/** The persisted record of one task execution. Absent optional fields are `undefined`, never `null`. */
export type TaskExecutionStorageValue = {
  root?: TaskExecutionSummary
  parent?: ParentTaskExecutionSummary
  taskId: string
  executionId: string
  isSleepingTask: boolean
  sleepingTaskUniqueId?: string
  retryOptions: TaskRetryOptions
  sleepMsBeforeRun: number
  timeoutMs: number
  areChildrenSequential: boolean
  input: string
  executorId?: string
  status: TaskExecutionStatus
  isFinished: boolean
  runOutput?: string
  output?: string
  error?: DurableExecutionErrorStorageValue
  retryAttempts: number
  startAt: number
  startedAt?: number
  expiresAt?: number
  waitingForChildrenStartedAt?: number
  waitingForFinalizeStartedAt?: number
  finishedAt?: number
  children?: Array<TaskExecutionSummary>
  activeChildrenCount: number
  onChildrenFinishedProcessingStatus: TaskExecutionOnChildrenFinishedProcessingStatus
  onChildrenFinishedProcessingExpiresAt?: number
  onChildrenFinishedProcessingFinishedAt?: number
  finalize?: TaskExecutionSummary
  closeStatus: TaskExecutionCloseStatus
  closeExpiresAt?: number
  closedAt?: number
  needsPromiseCancellation: boolean
  createdAt: number
  updatedAt: number
  /**
   * Beyond upstream (optional): the token of the lease the row was last claimed under (a run, a
   * children-finished processing or a close). Each claim writes a new one, and every write the
   * holder makes filters on it, so a holder whose lease was lost and taken over writes nothing.
   */
  leaseToken?: string
  /**
   * Beyond upstream (optional): how many times a run's lease expired before it wrote its result.
   * Absent means 0. The executor fails an execution that keeps expiring (`maxExpiries`).
   */
  expiryCount?: number
}

/** Equality conditions for by-id reads and writes; `undefined` keys are ignored. */
export type TaskExecutionStorageGetByIdFilters = {
  isSleepingTask?: boolean
  status?: TaskExecutionStatus
  isFinished?: boolean
  /** Beyond upstream (optional): the row's `leaseToken` (fencing; see {@link TaskExecutionStorageValue.leaseToken}). */
  leaseToken?: string
}

/** The fields an update may clear (write as SQL `NULL`). */
export type TaskExecutionStorageUnset = {
  executorId?: boolean
  runOutput?: boolean
  error?: boolean
  startedAt?: boolean
  expiresAt?: boolean
  onChildrenFinishedProcessingExpiresAt?: boolean
  closeExpiresAt?: boolean
}

/**
 * A raw storage update. Keys holding `undefined` are ignored; `unset` clears fields and wins over
 * a value given for the same field. `updatedAt` is required.
 */
export type TaskExecutionStorageUpdate = {
  executorId?: string
  status?: TaskExecutionStatus
  isFinished?: boolean
  runOutput?: string
  output?: string
  error?: DurableExecutionErrorStorageValue
  retryAttempts?: number
  startAt?: number
  startedAt?: number
  expiresAt?: number
  waitingForChildrenStartedAt?: number
  waitingForFinalizeStartedAt?: number
  finishedAt?: number
  children?: Array<TaskExecutionSummary>
  activeChildrenCount?: number
  onChildrenFinishedProcessingStatus?: TaskExecutionOnChildrenFinishedProcessingStatus
  onChildrenFinishedProcessingExpiresAt?: number
  onChildrenFinishedProcessingFinishedAt?: number
  finalize?: TaskExecutionSummary
  closeStatus?: TaskExecutionCloseStatus
  closeExpiresAt?: number
  closedAt?: number
  needsPromiseCancellation?: boolean
  /** Beyond upstream (optional): the lease token a claim writes. */
  leaseToken?: string
  updatedAt: number
  unset?: TaskExecutionStorageUnset
}

/**
 * What a storage may answer to by-id updates (beyond upstream, optional): per request, whether
 * its row matched the id and filters and was updated. Storages written for upstream answer
 * nothing, and the executor then takes every write as landed. A fenced write that matched
 * nothing means its writer lost the lease.
 */
export type TaskExecutionsStorageUpdateMatches = Array<boolean> | void

/** One by-id read. */
export type TaskExecutionsStorageGetByIdRequest = {
  executionId: string
  filters?: TaskExecutionStorageGetByIdFilters
}

/** One lookup by sleeping-task unique id. */
export type TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest = {
  sleepingTaskUniqueId: string
}

/** One conditional single-row update. */
export type TaskExecutionsStorageUpdateByIdRequest = {
  executionId: string
  filters?: TaskExecutionStorageGetByIdFilters
  update: TaskExecutionStorageUpdate
}

/** One conditional update that inserts children if and only if it matched. */
export type TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest =
  TaskExecutionsStorageUpdateByIdRequest & {
    childrenTaskExecutionsToInsertIfAnyUpdated: Array<TaskExecutionStorageValue>
  }

/** One children read. */
export type TaskExecutionsStorageGetByParentExecutionIdRequest = {
  parentExecutionId: string
}

/** What a parent's finalize takes of one of its children: who it is, and how it ended. */
export type TaskExecutionChildResult = Pick<TaskExecutionStorageValue, 'taskId' | 'executionId' | 'status' | 'output' | 'error'>

/** One update of all children of a parent with the given `isFinished`. */
export type TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest = {
  parentExecutionId: string
  isFinished: boolean
  update: TaskExecutionStorageUpdate
}

/** Claim of ready rows (pickup), ordered by `startAt`. */
export type TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest = {
  status: TaskExecutionStatus
  startAtLessThan: number
  update: TaskExecutionStorageUpdate
  /** Each claimed row also gets `expiresAt = updateExpiresAtWithStartedAt + timeoutMs`. */
  updateExpiresAtWithStartedAt: number
  limit: number
  /**
   * Our addition, an optional capability: the caller only runs the claimed rows (the executor's
   * pickup). With `status: 'ready'`, a storage may then read back only what a run reads (the
   * fields every row holds, `error`, and what the claim writes) and give every other field the
   * value a `ready` row holds (spec 1.6.1 and 1.7: absent, `isFinished: false`, `activeChildrenCount: 0`, the
   * `idle` statuses, `needsPromiseCancellation: false`). Storages that ignore it return full
   * values, as without it.
   */
  returnsRunFieldsOnly?: boolean
}

/** Claim of parents whose children are all released, ordered by `updatedAt`. */
export type TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest =
  {
    status: TaskExecutionStatus
    onChildrenFinishedProcessingStatus: TaskExecutionOnChildrenFinishedProcessingStatus
    update: TaskExecutionStorageUpdate
    limit: number
  }

/** Claim of rows by close status, ordered by `updatedAt`. */
export type TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest = {
  closeStatus: TaskExecutionCloseStatus
  update: TaskExecutionStorageUpdate
  limit: number
}

/** Expiry sweep of running rows, ordered by `expiresAt`. */
export type TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest = {
  status: TaskExecutionStatus
  isSleepingTask: boolean
  expiresAtLessThan: number
  update: TaskExecutionStorageUpdate
  limit: number
  /**
   * Beyond upstream (optional): also add one to each swept row's `expiryCount`. Storages written
   * for upstream ignore it (the executor then never fails an execution for its expiries).
   */
  incrementExpiryCount?: boolean
}

/** Lease recovery of children-finished processing, ordered by the lease. */
export type TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest = {
  onChildrenFinishedProcessingExpiresAtLessThan: number
  update: TaskExecutionStorageUpdate
  limit: number
}

/** Lease recovery of closing, ordered by the lease. */
export type TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest = {
  closeExpiresAtLessThan: number
  update: TaskExecutionStorageUpdate
  limit: number
}

/** Claim of rows whose in-process run must be interrupted, ordered by `updatedAt`. */
export type TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest = {
  executorId: string
  needsPromiseCancellation: boolean
  update: TaskExecutionStorageUpdate
  limit: number
}

/** The close-ready sweep that also releases each claimed child to its parent. */
export type TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest =
  {
    isFinished: boolean
    closeStatus: TaskExecutionCloseStatus
    update: TaskExecutionStorageUpdate
    limit: number
    /**
     * Beyond upstream (optional): claimed rows whose close has nothing to do (not a finalize child,
     * and completed or without children and finalize; see `closing-work.ts`) are closed at once
     * instead: `closeStatus: 'closed'` and this `closedAt` (or the row's `finishedAt`, if later),
     * with `update`'s other fields. That
     * saves the close sweep's claim and write for most rows. A storage may close fewer rows this
     * way, or none (ignoring the field): the close sweep closes the others as before.
     */
    closesRowsWithoutClosingWorkAt?: number
  }

/**
 * What a change-signal call says changed, where the signal knows: `'enqueued'` when new executions
 * were inserted (only the pickup has work), `undefined` when anything may have changed (a cancel, a
 * wake-up, a hand-back, a signal that recovered from a fault, a signal that cannot tell).
 */
export type TaskExecutionsStorageChange = 'enqueued' | undefined

/** What {@link TaskExecutionsStorageCommonMethods.findSweepWork} asks: the sweeps' `now`, and whose cancellations. */
export type TaskExecutionsStorageFindSweepWorkRequest = {
  /** The time the sweeps compare `startAt` and the leases with (strict `<`, as they do). */
  now: number
  /** The executor whose runs the promise-cancellation sweep looks at. */
  executorId: string
}

/**
 * Which of the executor's sweeps (spec 4.9) would find at least one row at `now`; each flag is the
 * sweep's own filter (status, flags, time), without its limit, order or locks.
 */
export type TaskExecutionsStorageSweepWork = {
  /** `status = 'ready'` and `startAt < now` (the pickup). */
  ready: boolean
  /** `status = 'waiting_for_children'`, children-finished processing `idle`, no active children. */
  childrenFinished: boolean
  /** `isFinished` and `closeStatus = 'idle'` (the close-ready sweep). */
  closeReady: boolean
  /** `closeStatus = 'ready'` (closing). */
  close: boolean
  /** The executor's runs with `needsPromiseCancellation`. */
  promiseCancellation: boolean
  /** `running`, not a sleeping task, `expiresAt < now`. */
  expiredRuns: boolean
  /** `running`, a sleeping task, `expiresAt < now`. */
  expiredSleeps: boolean
  /** `onChildrenFinishedProcessingExpiresAt < now`. */
  expiredChildrenFinishedProcessing: boolean
  /** `closeExpiresAt < now`. */
  expiredClosing: boolean
}

/** A subscription to a storage's change signal; see `subscribeToChanges`. */
export type TaskExecutionsStorageChangeSubscription = {
  /** Stops the signal (closes its connection); no `onChange` call follows. */
  unsubscribe: () => MaybePromise<void>
}

/** The methods shared by both storage interfaces: inserts, claims, sweeps and test helpers. */
export type TaskExecutionsStorageCommonMethods = {
  /** Inserts all rows, all-or-nothing; rejects on a duplicate execution id or sleeping-task unique id. */
  insertMany: (executions: ReadonlyArray<TaskExecutionStorageValue>) => MaybePromise<void>
  /** Claims up to `limit` rows with the status and `startAt < startAtLessThan`, by `startAt`. */
  updateByStatusAndStartAtLessThanAndReturn: (
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ) => MaybePromise<Array<TaskExecutionStorageValue>>
  /** Claims up to `limit` parents with the status, the flag and no active children, by `updatedAt`. */
  updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn: (
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ) => MaybePromise<Array<TaskExecutionStorageValue>>
  /** Claims up to `limit` rows with the close status, by `updatedAt`. */
  updateByCloseStatusAndReturn: (
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ) => MaybePromise<Array<TaskExecutionStorageValue>>
  /** Updates up to `limit` expired running rows, by `expiresAt`; returns how many. */
  updateByStatusAndIsSleepingTaskAndExpiresAtLessThan: (
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ) => MaybePromise<number>
  /** Updates up to `limit` rows whose children-finished lease ran out; returns how many. */
  updateByOnChildrenFinishedProcessingExpiresAtLessThan: (
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ) => MaybePromise<number>
  /** Updates up to `limit` rows whose close lease ran out; returns how many. */
  updateByCloseExpiresAtLessThan: (
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ) => MaybePromise<number>
  /** Claims up to `limit` rows of the executor with the cancellation flag, by `updatedAt`. */
  updateByExecutorIdAndNeedsPromiseCancellationAndReturn: (
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ) => MaybePromise<Array<TaskExecutionStorageValue>>
  /** Claims up to `limit` rows and releases each to its parent; returns how many were claimed. */
  updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus: (
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ) => MaybePromise<number>
  /** Test helper: deletes one row (SQL storages only in test mode). */
  deleteById: (request: { executionId: string }) => MaybePromise<void>
  /** Test helper: deletes every row (SQL storages only in test mode). */
  deleteAll: () => MaybePromise<void>
  /**
   * Beyond upstream (optional): the database's clock, in milliseconds since the epoch. Executors
   * sample it and compute leases on it, so that a process whose clock is off never takes over a
   * live lease. Without it, each executor uses its own clock.
   */
  getCurrentTimeMs?: () => MaybePromise<number>
  /**
   * Beyond upstream (optional): calls `onChange` soon after another process may have made work
   * ready (an enqueue, a cancel, a wake-up), and after the signal itself recovered from a fault
   * (calls may be spurious; none may be missed while subscribed). Executors then run their loops
   * at once (only the pickup for `'enqueued'`) and poll only as a slow backstop. A storage object
   * calls its own subscribers for its own writes in-process, so several executors sharing it wake
   * each other. Without it, executors poll at their interval.
   */
  subscribeToChanges?: (
    onChange: (change?: TaskExecutionsStorageChange) => void,
  ) => MaybePromise<TaskExecutionsStorageChangeSubscription>
  /**
   * Beyond upstream (optional): which sweeps would find work, in one cheap read. The executor reads
   * it before its expiry sweeps and runs only those that would find rows, and, with a change signal,
   * lets it stand in for the other loops' polling (waking those with work). Without it, the executor
   * runs every sweep.
   */
  findSweepWork?: (request: TaskExecutionsStorageFindSweepWorkRequest) => MaybePromise<TaskExecutionsStorageSweepWork>
  /**
   * Beyond upstream (optional): `getManyByParentExecutionId` reading only what a parent's
   * finalize takes of each child ({@link TaskExecutionChildResult}),
   * not every column of every child. Without it, the executor reads whole children.
   */
  getManyChildResultsByParentExecutionId?: (
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ) => MaybePromise<Array<Array<TaskExecutionChildResult>>>
  /**
   * Beyond upstream (optional): throws an error saying what to do when the storage cannot work at
   * all (its table is missing or lacks columns). `DurableExecutor.start()` calls it before any
   * background loop starts, so a missing table fails the start instead of every loop.
   */
  checkReady?: () => MaybePromise<void>
}

/** The storage interface the executor uses: array methods answer many requests at once, by position. */
export type TaskExecutionsStorage = TaskExecutionsStorageCommonMethods & {
  /** One result per request, in order; `undefined` when missing or filtered out. */
  getManyById: (
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ) => MaybePromise<Array<TaskExecutionStorageValue | undefined>>
  /** One result per request, in order. */
  getManyBySleepingTaskUniqueId: (
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ) => MaybePromise<Array<TaskExecutionStorageValue | undefined>>
  /**
   * Each request updates its row if it matches; requests are independent. May answer whether each
   * matched ({@link TaskExecutionsStorageUpdateMatches}).
   */
  updateManyById: (
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ) => MaybePromise<TaskExecutionsStorageUpdateMatches>
  /**
   * Each request updates its row and, iff that matched, inserts its children, atomically. May
   * answer whether each matched ({@link TaskExecutionsStorageUpdateMatches}).
   */
  updateManyByIdAndInsertChildrenIfUpdated: (
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ) => MaybePromise<TaskExecutionsStorageUpdateMatches>
  /** Every child of each parent, in any order. */
  getManyByParentExecutionId: (
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ) => MaybePromise<Array<Array<TaskExecutionStorageValue>>>
  /** Each request updates all children of its parent with the given `isFinished`, atomically. */
  updateManyByParentExecutionIdAndIsFinished: (
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ) => MaybePromise<void>
}

/** A storage with single-request methods; wrap it in `TaskExecutionsStorageWithBatching`. */
export type TaskExecutionsStorageWithoutBatching = TaskExecutionsStorageCommonMethods & {
  /** The row with the id if it matches the filters, else `undefined`. */
  getById: (
    request: TaskExecutionsStorageGetByIdRequest,
  ) => MaybePromise<TaskExecutionStorageValue | undefined>
  /** The row with the sleeping-task unique id, else `undefined`. */
  getBySleepingTaskUniqueId: (
    request: TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  ) => MaybePromise<TaskExecutionStorageValue | undefined>
  /**
   * Updates the row if it matches the id and filters; a miss is a silent no-op. May answer
   * whether it matched (beyond upstream).
   */
  updateById: (request: TaskExecutionsStorageUpdateByIdRequest) => MaybePromise<boolean | void>
  /**
   * Updates the row and, iff that matched, inserts the children, atomically. May answer whether
   * it matched (beyond upstream).
   */
  updateByIdAndInsertChildrenIfUpdated: (
    request: TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  ) => MaybePromise<boolean | void>
  /** Every child of the parent, in any order. */
  getByParentExecutionId: (
    request: TaskExecutionsStorageGetByParentExecutionIdRequest,
  ) => MaybePromise<Array<TaskExecutionStorageValue>>
  /** Updates all children of the parent with the given `isFinished`, atomically. */
  updateByParentExecutionIdAndIsFinished: (
    request: TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  ) => MaybePromise<void>
}
