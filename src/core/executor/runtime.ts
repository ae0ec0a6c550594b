/**
 * The state one executor's parts share (storage layer, registry, options, running runs, wake-ups)
 * and the small helpers they all use: normalised single-row writes, and building
 * child rows (spec 1.1, 1.4).
 */
import {
  convertDurableExecutionErrorToStorageValue,
  convertErrorToDurableExecutionError,
  DurableExecutionError,
  DurableExecutionNotFoundError,
  type DurableExecutionErrorStorageValue,
} from '../errors.js'
import { generateTaskExecutionId } from '../ids.js'
import {
  normalizeTaskExecutionStorageInternalUpdate,
  type TaskExecutionStorageInternalUpdate,
} from '../internal-update.js'
import type { TaskExecutionsStorageLayer, UpdateMatch } from '../batching/storage-layer.js'
import { deserializeValue, serializeWithSizeLimit, type Serializer } from '../serializer.js'
import { applyTaskExecutionStorageUpdate, createTaskExecutionStorageValue } from '../storage-value.js'
import type {
  ParentTaskExecutionSummary,
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
  TaskExecutionSummary,
} from '../storage.js'
import type { ExecutorClock } from './clock.js'
import type { DeadlineScheduler } from './deadlines.js'
import type { FinishedExecutionWaiters } from './finish-waiters.js'
import type { ResolvedDurableExecutorOptions } from './options.js'
import type { TaskDefinition, TaskRegistry } from './registry.js'
import type { ExecutorLog } from './log.js'
import type { RunResultWrites } from './result-writes.js'
import type { TaskEnqueueOptions } from './types.js'

/** An in-process run of an execution. */
export type RunningExecution = {
  readonly executionId: string
  /** Created only when the run reads `ctx.abortSignal`: most runs never do. */
  abortController: AbortController | undefined
  /** Whether the run's abort signal is (or, once created, will be) aborted. */
  isAborted: boolean
  abortReason: unknown
  /** Set once the run was interrupted (cancellation or shutdown): it must not write any more. */
  isInterrupted: boolean
  /** Ends the run's race with the given error (set while the run function is in progress). */
  settleRun: ((error: unknown) => void) | undefined
  /** Cancels the run's timeout. */
  cancelDeadline: (() => void) | undefined
  /** Settles when the run and its result write are over. */
  done: Promise<void> | undefined
  /**
   * Set while the run function has returned and its result is being written: the run's slot is
   * free for the next claim then (counted in `ExecutorRuntime.resultsBeingWritten`).
   */
  isWritingResult: boolean
  /** Set once the run function has returned (its result is being written, or was). */
  hasReturned: boolean
  /** Whether the execution expired before (see `isSuspect` in `pickup.ts`); such runs go one at a time. */
  readonly isSuspect: boolean
}

/** The loops local events wake up at once instead of waiting for their next poll. */
export type ExecutorWakeUps = {
  /** Ready rows exist now, or will at `at` (ms since the epoch). */
  pickup: (at?: number) => void
  /** A parent may have all children released. */
  childrenFinished: () => void
  /** Finished rows wait for the close-ready sweep. */
  closeReady: () => void
  /** Rows are close-ready. */
  close: () => void
  /** Rows that run here may need interrupting. */
  promiseCancellation: () => void
  /** A running sleeping row may expire at `at`. */
  expiry: (at: number) => void
}

/** What the parts of one executor share. */
export type ExecutorRuntime = {
  readonly executorId: string
  /** The clock for storage times (corrected to the database's clock when the storage has one). */
  readonly clock: ExecutorClock
  /** A new lease token, unique to this executor and claim. */
  readonly nextLeaseToken: () => string
  /** Aborts when shutdown stops waiting for work in progress: retry loops give up then. */
  readonly stopSignal: AbortSignal
  /**
   * Storage calls made under a lease that wait to be retried (see `lease-writes.ts`): how many,
   * and until when (local time) the expiry sweep holds off for them.
   */
  readonly callsWaitingToRetry: { count: number; holdSweepUntil: number }
  readonly options: ResolvedDurableExecutorOptions
  readonly serializer: Serializer
  readonly storage: TaskExecutionsStorageLayer
  /** Run results written together (group commit); see `result-writes.ts`. */
  readonly resultWrites: RunResultWrites
  readonly registry: TaskRegistry
  readonly log: ExecutorLog
  /** The serialization of `undefined`: the stored input of sleeping tasks. */
  readonly serializedUndefined: string
  readonly shutdownSignal: AbortSignal
  readonly deadlines: DeadlineScheduler
  /** The runs of this process, from their claim until their result is written. */
  readonly running: Map<string, RunningExecution>
  /** How many entries of `running` have returned and are writing their result (see `run-slots.ts`). */
  readonly resultsBeingWritten: { count: number }
  readonly wake: ExecutorWakeUps
  /** Handles waiting here for an execution to finish. */
  readonly finishedWaiters: FinishedExecutionWaiters
  /** Keeps forked background work visible to shutdown until it settles. */
  readonly track: (work: Promise<unknown>) => void
  /** Called whenever an in-process run frees its slot (returned or ended), so pickup can use it. */
  readonly onRunEnded: () => void
}

/**
 * Writes a normalised update to one row if it matches `filters`. Resolves to whether it matched
 * (`undefined` when the storage does not say). `rowUnderLease`, the row as this executor holds it
 * under a fenced lease, lets waiting handles take the finished row without reading it back.
 */
export async function updateExecutionById(
  runtime: ExecutorRuntime,
  executionId: string,
  filters: TaskExecutionStorageGetByIdFilters,
  update: TaskExecutionStorageInternalUpdate,
  currentRow?: TaskExecutionStorageValue,
  rowUnderLease: TaskExecutionStorageValue | undefined = currentRow,
): Promise<UpdateMatch> {
  const normalized = normalizeTaskExecutionStorageInternalUpdate(update, runtime.clock.now(), currentRow)
  const matched = await runtime.storage.updateById({ executionId, filters, update: normalized })
  notifyFinished(runtime, executionId, normalized, matched, rowUnderLease)
  return matched
}

/**
 * {@link updateExecutionById} for the result of a run held under `row`'s lease: written together
 * with the other results finishing around it (`resultWrites`).
 */
export async function writeRunResultById(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  filters: TaskExecutionStorageGetByIdFilters,
  update: TaskExecutionStorageInternalUpdate,
): Promise<UpdateMatch> {
  const normalized = normalizeTaskExecutionStorageInternalUpdate(update, runtime.clock.now(), row)
  const matched = await runtime.resultWrites.updateById({ executionId: row.executionId, filters, update: normalized })
  notifyFinished(runtime, row.executionId, normalized, matched, row)
  return matched
}

/**
 * Wakes the handles waiting on a finish this executor wrote; when the storage confirmed the fenced
 * write, with the row as written (the lease kept every other writer away from it meanwhile).
 */
function notifyFinished(
  runtime: ExecutorRuntime,
  executionId: string,
  normalized: TaskExecutionStorageUpdate,
  matched: UpdateMatch,
  rowUnderLease: TaskExecutionStorageValue | undefined,
): void {
  const isKnown = matched === true && rowUnderLease?.leaseToken !== undefined
  if (isKnown && normalized.status === 'waiting_for_finalize') {
    runtime.finishedWaiters.keepRowAwaitingFinalize(executionId, () => applyTaskExecutionStorageUpdate(rowUnderLease, normalized))
  }
  if (normalized.isFinished !== true || matched === false) return
  runtime.finishedWaiters.notify(executionId, isKnown ? () => applyTaskExecutionStorageUpdate(rowUnderLease, normalized) : undefined)
}

/**
 * Writes a normalised update to one row and inserts `children` iff it matched; answers as
 * {@link updateExecutionById}. `asRunResult`: the result of a run held under `currentRow`'s lease,
 * written together with the other results finishing around it (`resultWrites`).
 */
export async function updateExecutionByIdAndInsertChildren(
  runtime: ExecutorRuntime,
  executionId: string,
  filters: TaskExecutionStorageGetByIdFilters,
  update: TaskExecutionStorageInternalUpdate,
  children: Array<TaskExecutionStorageValue>,
  currentRow?: TaskExecutionStorageValue,
  asRunResult = false,
): Promise<UpdateMatch> {
  const normalized = normalizeTaskExecutionStorageInternalUpdate(update, runtime.clock.now(), currentRow)
  const request = { executionId, filters, update: normalized, childrenTaskExecutionsToInsertIfAnyUpdated: children }
  const matched = await (asRunResult && children.length > 0
    ? runtime.resultWrites.updateByIdAndInsertChildrenIfUpdated(request)
    : runtime.storage.updateByIdAndInsertChildrenIfUpdated(request))
  notifyFinished(runtime, executionId, normalized, matched, currentRow)
  return matched
}

/**
 * The filters of a write made under the lease `row` was claimed with: `filters` and, when the
 * storage keeps lease tokens, the token (a writer whose lease was taken over then matches nothing).
 */
export function fencedFilters(
  row: TaskExecutionStorageValue,
  filters: TaskExecutionStorageGetByIdFilters,
): TaskExecutionStorageGetByIdFilters {
  return row.leaseToken === undefined ? filters : { ...filters, leaseToken: row.leaseToken }
}

const SIZE_LIMIT_MESSAGE_START = 'Serialized data size exceeds maximum allowed size'

/**
 * Serializes a value for storage with a size limit. The size error keeps its exact upstream
 * message; any other serializer failure is prefixed with `Cannot serialize <what>` so the error
 * says which value could not be stored (its retryability is kept, spec 4.12).
 */
export async function serializeForStorage(
  runtime: ExecutorRuntime,
  value: unknown,
  kind: 'input' | 'output',
  what: string,
): Promise<string> {
  const limit =
    kind === 'input'
      ? runtime.options.maxSerializedInputDataSize
      : runtime.options.maxSerializedOutputDataSize
  try {
    return await serializeWithSizeLimit(runtime.serializer, value, limit)
  } catch (error) {
    if (error instanceof DurableExecutionError && error.message.startsWith(SIZE_LIMIT_MESSAGE_START)) {
      throw error
    }
    throw convertErrorToDurableExecutionError(error, { prefix: `Cannot serialize ${what}` })
  }
}

/** The storage value of an error. */
export function errorValue(error: DurableExecutionError): DurableExecutionErrorStorageValue {
  return convertDurableExecutionErrorToStorageValue(error)
}

/** The summary of a row. */
export function summaryOf(row: { taskId: string; executionId: string }): TaskExecutionSummary {
  return { taskId: row.taskId, executionId: row.executionId }
}

/**
 * Checks the unique id a sleeping task is enqueued (or spawned) with: a string of 1..255
 * characters (spec 4.5). Returns it.
 */
export function validateSleepingTaskUniqueId(taskId: string, input: unknown): string {
  if (input == null) {
    throw DurableExecutionError.nonRetryable(
      `A unique id string is required to enqueue a sleeping task [taskId=${taskId}] [input=${String(input)}]`,
    )
  }
  if (typeof input !== 'string') {
    throw DurableExecutionError.nonRetryable(
      `Input must be a unique id string for sleeping task [taskId=${taskId}] [input=${typeof input}]`,
    )
  }
  if (input.length === 0) {
    throw DurableExecutionError.nonRetryable(
      `A non-empty unique id string is required for sleeping task [taskId=${taskId}]`,
    )
  }
  if (input.length > 255) {
    throw DurableExecutionError.nonRetryable(
      `The unique id string must be shorter than 256 characters for sleeping task [taskId=${taskId}] [inputLength=${input.length}]`,
    )
  }
  return input
}

/** Where a new child row hangs in the tree. */
export type ChildPlacement = {
  /** The parent row. */
  parent: TaskExecutionStorageValue
  indexInParentChildren: number
  isOnlyChildOfParent: boolean
  isFinalizeOfParent: boolean
}

/**
 * Builds a child row (spec 1.1, 1.4): `root` is the parent's root or, for a top-level parent, the
 * parent itself (our choice on every path). `input` is the value to serialize, or, with
 * `serializedInput`, a string reused verbatim (sequence steps).
 */
export async function buildChildRow(
  runtime: ExecutorRuntime,
  task: TaskDefinition,
  placement: ChildPlacement,
  input: { value: unknown } | { serializedInput: string },
  overrides: TaskEnqueueOptions | undefined,
  now: number,
): Promise<TaskExecutionStorageValue> {
  const parentRow = placement.parent
  const parent: ParentTaskExecutionSummary = {
    taskId: parentRow.taskId,
    executionId: parentRow.executionId,
    indexInParentChildren: placement.indexInParentChildren,
    isOnlyChildOfParent: placement.isOnlyChildOfParent,
    isFinalizeOfParent: placement.isFinalizeOfParent,
  }
  let serializedInput: string
  let sleepingTaskUniqueId: string | undefined
  if (task.taskType === 'sleepingTask') {
    const uniqueId =
      'value' in input
        ? input.value
        : await deserializeValue(runtime.serializer, input.serializedInput)
    sleepingTaskUniqueId = validateSleepingTaskUniqueId(task.id, uniqueId)
    serializedInput = runtime.serializedUndefined
  } else if ('value' in input) {
    serializedInput = await serializeForStorage(
      runtime,
      input.value,
      'input',
      placement.isFinalizeOfParent
        ? `the finalize input of task execution [taskId=${parentRow.taskId}] [executionId=${parentRow.executionId}]`
        : `the input of child task ${task.id} [index=${placement.indexInParentChildren}] of task execution [taskId=${parentRow.taskId}] [executionId=${parentRow.executionId}]`,
    )
  } else {
    serializedInput = input.serializedInput
  }
  return createTaskExecutionStorageValue({
    now,
    root: parentRow.root ?? summaryOf(parentRow),
    parent,
    taskId: task.id,
    executionId: generateTaskExecutionId(),
    retryOptions: overrides?.retryOptions ?? task.retryOptions,
    sleepMsBeforeRun: overrides?.sleepMsBeforeRun ?? task.sleepMsBeforeRun,
    timeoutMs: overrides?.timeoutMs ?? task.timeoutMs,
    areChildrenSequential: task.areChildrenSequential,
    input: serializedInput,
    ...(sleepingTaskUniqueId === undefined ? {} : { sleepingTaskUniqueId }),
  })
}

/** The registered definition of a child task, or the non-retryable `Child task not found`. */
export function getChildTaskDefinition(runtime: ExecutorRuntime, taskId: string): TaskDefinition {
  const definition = runtime.registry.get(taskId)
  if (!definition) throw new DurableExecutionNotFoundError(`Child task not found [taskId=${taskId}]`)
  return definition
}

/** Tells the loops that a row has just finished: finalize children skip the close-ready step. */
export function wakeAfterFinished(
  runtime: ExecutorRuntime,
  row: { parent?: ParentTaskExecutionSummary },
): void {
  if (row.parent?.isFinalizeOfParent) runtime.wake.close()
  else runtime.wake.closeReady()
}
