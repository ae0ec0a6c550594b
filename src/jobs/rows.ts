/**
 * The job-runner rows as every dialect returns them: ids are integers, times are epoch
 * milliseconds, JSON payloads are `unknown` until the caller narrows them. The per-dialect tables
 * (`tables/*.ts`) declare columns that map to exactly these types (a type test checks it).
 */
import type {
  BatchChunkStatus,
  BatchStatus,
  IdempotencyKeyStatus,
  JobAttemptStatus,
  TimerStatus,
  WorkflowStatus,
  WorkflowStepStatus,
} from './state-machines.js'

/** A workflow: one run of a job, made of steps. Soft-deleted with `deletedAt`. */
export type WorkflowRow = {
  id: number
  name: string
  status: WorkflowStatus
  input: unknown
  output: unknown
  error: unknown
  attempts: number
  createdAt: number
  updatedAt: number
  startedAt: number | null
  finishedAt: number | null
  deletedAt: number | null
}

/** A step of a workflow; steps of equal `position` form a parallel group and may run together. */
export type WorkflowStepRow = {
  id: number
  workflowId: number
  name: string
  status: WorkflowStepStatus
  position: number
  parallelGroup: string | null
  input: unknown
  output: unknown
  error: unknown
  attempts: number
  maxAttempts: number
  claimedBy: string | null
  leaseExpiresAt: number | null
  createdAt: number
  updatedAt: number
  startedAt: number | null
  finishedAt: number | null
  /** When the step may next be claimed: a pending step's retry time, a running step's lease expiry; `Number.MAX_SAFE_INTEGER` once finished. */
  availableAt: number
}

/** One event in a workflow's timeline (append-only). */
export type WorkflowHistoryRow = {
  id: number
  workflowId: number
  stepId: number | null
  event: string
  data: unknown
  createdAt: number
}

/** A timer that fires once at `dueAt` for a workflow or one of its steps. */
export type TimerRow = {
  id: number
  workflowId: number
  stepId: number | null
  status: TimerStatus
  dueAt: number
  payload: unknown
  firedAt: number | null
  createdAt: number
  updatedAt: number
}

/** One attempt at running a step. */
export type JobAttemptRow = {
  id: number
  workflowId: number
  stepId: number
  attemptNumber: number
  workerId: string | null
  status: JobAttemptStatus
  error: unknown
  startedAt: number
  finishedAt: number | null
}

/** An idempotency key: claimed once per scope, holding the first claimant's result. */
export type IdempotencyKeyRow = {
  id: number
  scope: string
  key: string
  status: IdempotencyKeyStatus
  claimToken: string
  result: unknown
  createdAt: number
  completedAt: number | null
}

/** An ETL batch. Soft-deleted with `deletedAt`. */
export type BatchRow = {
  id: number
  name: string
  status: BatchStatus
  rawData: unknown
  totalRows: number
  processedCount: number
  errorCount: number
  workflowId: number | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

/** A slice of a batch's rows, processed by one workflow step (fan-out / fan-in). */
export type BatchChunkRow = {
  id: number
  batchId: number
  stepId: number | null
  chunkIndex: number
  startRow: number
  endRow: number
  status: BatchChunkStatus
  createdAt: number
  updatedAt: number
}

/** One row of a batch processed successfully. */
export type ProcessedRowRow = {
  id: number
  batchId: number
  chunkId: number | null
  rowIndex: number
  data: unknown
  createdAt: number
}

/** One input row of a batch, as loaded: the batch's raw data, stored and read a page at a time. */
export type BatchRawRowRow = {
  id: number
  batchId: number
  rowIndex: number
  data: unknown
  createdAt: number
}

/** One row of a batch that failed, with its error. */
export type ErrorRowRow = {
  id: number
  batchId: number
  chunkId: number | null
  rowIndex: number
  data: unknown
  error: unknown
  createdAt: number
}
