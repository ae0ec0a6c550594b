/**
 * Status values of a task execution and the groups the executor and storages reason with
 * (spec 1.3). The arrays are exported constants whose names and order are part of the contract.
 */

/** Every status a task execution can have, in the contract's order. */
export const ALL_TASK_EXECUTION_STATUSES = [
  'ready',
  'running',
  'failed',
  'timed_out',
  'waiting_for_children',
  'waiting_for_finalize',
  'finalize_failed',
  'completed',
  'cancelled',
] as const

/** The status of a task execution. */
export type TaskExecutionStatus = (typeof ALL_TASK_EXECUTION_STATUSES)[number]

/** Statuses of executions that are not finished yet. */
export const ACTIVE_TASK_EXECUTION_STATUSES = [
  'ready',
  'running',
  'waiting_for_children',
  'waiting_for_finalize',
] as const satisfies ReadonlyArray<TaskExecutionStatus>

/** Statuses that end an execution; a finished status is never written over. */
export const FINISHED_TASK_EXECUTION_STATUSES = [
  'failed',
  'timed_out',
  'finalize_failed',
  'completed',
  'cancelled',
] as const satisfies ReadonlyArray<TaskExecutionStatus>

/** Finished statuses that carry an error. */
export const ERRORED_TASK_EXECUTION_STATUSES = [
  'failed',
  'timed_out',
  'finalize_failed',
  'cancelled',
] as const satisfies ReadonlyArray<TaskExecutionStatus>

/** An active (unfinished) status. */
export type ActiveTaskExecutionStatus = (typeof ACTIVE_TASK_EXECUTION_STATUSES)[number]

/** A finished status. */
export type FinishedTaskExecutionStatus = (typeof FINISHED_TASK_EXECUTION_STATUSES)[number]

/** A finished status that carries an error. */
export type ErroredTaskExecutionStatus = (typeof ERRORED_TASK_EXECUTION_STATUSES)[number]

/** Post-finish clean-up state of an execution (spec 1.6.2). */
export type TaskExecutionCloseStatus = 'idle' | 'ready' | 'closing' | 'closed'

/** Claim flag of the "all children finished" step of a parent (spec 1.6.3). */
export type TaskExecutionOnChildrenFinishedProcessingStatus = 'idle' | 'processing' | 'processed'

/** The kind of a registered task. */
export type TaskType = 'task' | 'sleepingTask' | 'parentTask' | 'sequentialTasks'

const finishedStatuses: ReadonlySet<string> = new Set(FINISHED_TASK_EXECUTION_STATUSES)
const erroredStatuses: ReadonlySet<string> = new Set(ERRORED_TASK_EXECUTION_STATUSES)
const allStatuses: ReadonlySet<string> = new Set(ALL_TASK_EXECUTION_STATUSES)

/** Whether `status` is one of the nine contract statuses. */
export function isTaskExecutionStatus(status: unknown): status is TaskExecutionStatus {
  return typeof status === 'string' && allStatuses.has(status)
}

/** Whether `status` ends an execution. */
export function isFinishedTaskExecutionStatus(
  status: TaskExecutionStatus,
): status is FinishedTaskExecutionStatus {
  return finishedStatuses.has(status)
}

/** Whether `status` is a finished status that carries an error. */
export function isErroredTaskExecutionStatus(
  status: TaskExecutionStatus,
): status is ErroredTaskExecutionStatus {
  return erroredStatuses.has(status)
}
