/**
 * The public read model (spec 1.7): what `handle.getExecution()` returns. Storage records are
 * converted per status, with input and output deserialized and timestamps turned into `Date`s.
 * Timestamps absent in storage are `undefined` here (upstream exposes an Invalid Date instead).
 */
import { DurableExecutionError, type DurableExecutionErrorStorageValue } from './errors.js'
import { deserializeValue, type Serializer } from './serializer.js'
import {
  isTaskExecutionStatus,
  type ErroredTaskExecutionStatus,
  type TaskExecutionStatus,
} from './status.js'
import type {
  ParentTaskExecutionSummary,
  TaskExecutionStorageValue,
  TaskExecutionSummary,
  TaskRetryOptions,
} from './storage.js'

/** Fields every execution has, whatever its status. */
export type TaskExecutionCommonFields<TStatus extends TaskExecutionStatus> = {
  /** Top-most ancestor; absent for a top-level execution. */
  root?: TaskExecutionSummary
  /** Link to the parent; absent for a top-level execution. */
  parent?: ParentTaskExecutionSummary
  taskId: string
  executionId: string
  /** The unique id a sleeping-task execution was enqueued with. */
  sleepingTaskUniqueId?: string
  areChildrenSequential: boolean
  retryOptions: TaskRetryOptions
  sleepMsBeforeRun: number
  timeoutMs: number
  /** The deserialized input. */
  input: unknown
  status: TStatus
  /** Retries already scheduled. */
  retryAttempts: number
  /** Earliest time the execution may be picked up. */
  startAt: Date
  createdAt: Date
  updatedAt: Date
}

/** Fields of an execution whose run returned children (or that went past that step). */
export type TaskExecutionChildrenFields = {
  /** Children spawned by the run, in declared order; `[]` when there were none. */
  children: Array<TaskExecutionSummary>
  /** Children not yet released to the parent. */
  activeChildrenCount: number
}

/** Waiting to be picked up, possibly after a failed attempt. */
export type ReadyTaskExecution = TaskExecutionCommonFields<'ready'> & {
  /** The previous attempt's error. */
  error?: DurableExecutionErrorStorageValue
}

/** Claimed by an executor (or a sleeping task waiting for its wakeup). */
export type RunningTaskExecution = TaskExecutionCommonFields<'running'> & {
  /** The executor running it; absent for sleeping tasks. */
  executorId?: string
  /** The previous attempt's error. */
  error?: DurableExecutionErrorStorageValue
  startedAt: Date
  /** End of the current lease. */
  expiresAt: Date
}

/** Failed permanently. */
export type FailedTaskExecution = TaskExecutionCommonFields<'failed'> & {
  error: DurableExecutionErrorStorageValue
  startedAt: Date
  expiresAt?: Date
  finishedAt: Date
}

/** Ran out of time on its last attempt. */
export type TimedOutTaskExecution = TaskExecutionCommonFields<'timed_out'> & {
  error: DurableExecutionErrorStorageValue
  startedAt: Date
  expiresAt?: Date
  finishedAt: Date
}

/** A parent waiting for its children to finish. */
export type WaitingForChildrenTaskExecution = TaskExecutionCommonFields<'waiting_for_children'> &
  TaskExecutionChildrenFields & {
    startedAt: Date
    expiresAt?: Date
    waitingForChildrenStartedAt: Date
  }

/** A parent waiting for its finalize child. */
export type WaitingForFinalizeTaskExecution = TaskExecutionCommonFields<'waiting_for_finalize'> &
  TaskExecutionChildrenFields & {
    startedAt: Date
    expiresAt?: Date
    waitingForChildrenStartedAt?: Date
    waitingForFinalizeStartedAt: Date
    /** The finalize child. */
    finalize: TaskExecutionSummary
  }

/** A parent whose finalize step (function, task or sequential step) failed. */
export type FinalizeFailedTaskExecution = TaskExecutionCommonFields<'finalize_failed'> &
  TaskExecutionChildrenFields & {
    error: DurableExecutionErrorStorageValue
    startedAt: Date
    expiresAt?: Date
    waitingForChildrenStartedAt?: Date
    waitingForFinalizeStartedAt?: Date
    /** The finalize child, when finalize is a task. */
    finalize?: TaskExecutionSummary
    finishedAt: Date
  }

/** Finished successfully. */
export type CompletedTaskExecution<TOutput = unknown> = TaskExecutionCommonFields<'completed'> &
  TaskExecutionChildrenFields & {
    /** The deserialized output. */
    output: TOutput
    startedAt: Date
    expiresAt?: Date
    waitingForChildrenStartedAt?: Date
    waitingForFinalizeStartedAt?: Date
    /** The finalize child, when finalize is a task. */
    finalize?: TaskExecutionSummary
    finishedAt: Date
  }

/** Cancelled, from any active status. */
export type CancelledTaskExecution = TaskExecutionCommonFields<'cancelled'> &
  TaskExecutionChildrenFields & {
    error: DurableExecutionErrorStorageValue
    /** The executor that was running it, if it was running. */
    executorId?: string
    startedAt?: Date
    expiresAt?: Date
    waitingForChildrenStartedAt?: Date
    waitingForFinalizeStartedAt?: Date
    finalize?: TaskExecutionSummary
    finishedAt: Date
  }

/** An execution in a finished status. */
export type FinishedTaskExecution<TOutput = unknown> =
  | FailedTaskExecution
  | TimedOutTaskExecution
  | FinalizeFailedTaskExecution
  | CompletedTaskExecution<TOutput>
  | CancelledTaskExecution

/** An execution as users see it; narrow on `status`. */
export type TaskExecution<TOutput = unknown> =
  | ReadyTaskExecution
  | RunningTaskExecution
  | WaitingForChildrenTaskExecution
  | WaitingForFinalizeTaskExecution
  | FinishedTaskExecution<TOutput>

/** A child that completed, as finalize and the default parent output see it. */
export type CompletedChildTaskExecution<TOutput = unknown> = TaskExecutionSummary & {
  status: 'completed'
  output: TOutput
}

/** A child that ended with an error, as finalize and the default parent output see it. */
export type ErroredChildTaskExecution = TaskExecutionSummary & {
  status: ErroredTaskExecutionStatus
  error: DurableExecutionErrorStorageValue
}

/** A finished child, as finalize and the default parent output see it. */
export type FinishedChildTaskExecution<TOutput = unknown> =
  | CompletedChildTaskExecution<TOutput>
  | ErroredChildTaskExecution

function toDate(timestamp: number | undefined): Date | undefined {
  return timestamp === undefined ? undefined : new Date(timestamp)
}

// Used only for fields the lifecycle guarantees for the status; a malformed row yields undefined.
function toRequiredDate(timestamp: number | undefined): Date {
  return toDate(timestamp) as Date
}

/**
 * Converts a storage record into the public read model (spec 1.7). The input is always
 * deserialized; the output only when the stored string is non-empty. Throws the non-retryable
 * `Invalid task execution status [status=…]` for a status outside the contract, and a
 * `DurableExecutionError` when the serializer fails.
 */
export async function convertTaskExecutionStorageValueToTaskExecution<TOutput = unknown>(
  value: TaskExecutionStorageValue,
  serializer: Serializer,
): Promise<TaskExecution<TOutput>> {
  const status = value.status
  if (!isTaskExecutionStatus(status)) {
    throw DurableExecutionError.nonRetryable(
      `Invalid task execution status [status=${String(status)}]`,
    )
  }

  const common = {
    root: value.root,
    parent: value.parent,
    taskId: value.taskId,
    executionId: value.executionId,
    sleepingTaskUniqueId: value.sleepingTaskUniqueId,
    areChildrenSequential: value.areChildrenSequential,
    retryOptions: value.retryOptions,
    sleepMsBeforeRun: value.sleepMsBeforeRun,
    timeoutMs: value.timeoutMs,
    input: await deserializeValue(serializer, value.input),
    retryAttempts: value.retryAttempts,
    startAt: new Date(value.startAt),
    createdAt: new Date(value.createdAt),
    updatedAt: new Date(value.updatedAt),
  }
  const error = value.error as DurableExecutionErrorStorageValue
  const startedAt = toRequiredDate(value.startedAt)
  const expiresAt = toDate(value.expiresAt)
  const finishedAt = toRequiredDate(value.finishedAt)
  const childrenFields = {
    children: value.children ?? [],
    activeChildrenCount: value.activeChildrenCount,
  }
  const waitingForChildrenStartedAt = toDate(value.waitingForChildrenStartedAt)
  const waitingForFinalizeStartedAt = toDate(value.waitingForFinalizeStartedAt)

  switch (status) {
    case 'ready':
      return { ...common, status, error: value.error }
    case 'running':
      return {
        ...common,
        status,
        executorId: value.executorId,
        error: value.error,
        startedAt,
        expiresAt: toRequiredDate(value.expiresAt),
      }
    case 'failed':
    case 'timed_out':
      return { ...common, status, error, startedAt, expiresAt, finishedAt }
    case 'waiting_for_children':
      return {
        ...common,
        ...childrenFields,
        status,
        startedAt,
        expiresAt,
        waitingForChildrenStartedAt: toRequiredDate(value.waitingForChildrenStartedAt),
      }
    case 'waiting_for_finalize':
      return {
        ...common,
        ...childrenFields,
        status,
        startedAt,
        expiresAt,
        waitingForChildrenStartedAt,
        waitingForFinalizeStartedAt: toRequiredDate(value.waitingForFinalizeStartedAt),
        finalize: value.finalize as TaskExecutionSummary,
      }
    case 'finalize_failed':
      return {
        ...common,
        ...childrenFields,
        status,
        error,
        startedAt,
        expiresAt,
        waitingForChildrenStartedAt,
        waitingForFinalizeStartedAt,
        finalize: value.finalize,
        finishedAt,
      }
    case 'completed':
      return {
        ...common,
        ...childrenFields,
        status,
        // An empty stored string means "no output" (spec 1.7), not a value to parse.
        output: (value.output
          ? await deserializeValue(serializer, value.output)
          : undefined) as TOutput,
        startedAt,
        expiresAt,
        waitingForChildrenStartedAt,
        waitingForFinalizeStartedAt,
        finalize: value.finalize,
        finishedAt,
      }
    case 'cancelled':
      return {
        ...common,
        ...childrenFields,
        status,
        error,
        executorId: value.executorId,
        startedAt: toDate(value.startedAt),
        expiresAt,
        waitingForChildrenStartedAt,
        waitingForFinalizeStartedAt,
        finalize: value.finalize,
        finishedAt,
      }
  }
}
