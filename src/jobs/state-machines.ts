/**
 * The status of every job-runner table and its state machine: which transitions the repositories
 * allow. A transition outside these tables is an {@link InvalidTransitionError} naming both states.
 *
 * - workflow: `pending` → `running` | `paused` | `cancelled`; `running` → `completed` | `failed` |
 *   `paused` | `cancelled`; `paused` → `pending` (resume) | `cancelled`; `failed` → `running` (a retry).
 *   `completed` and `cancelled` are final.
 * - workflow step: `pending` → `running` (claimed); `running` → `running` (an expired lease reclaimed),
 *   `succeeded`, `pending` (failed with attempts left) or `failed` (attempts exhausted); `pending` →
 *   `skipped`. `succeeded`, `failed` and `skipped` are final.
 * - timer: `scheduled` → `fired` | `cancelled`; both final.
 * - job attempt: `running` → `succeeded` | `failed`; both final.
 * - idempotency key: `in_progress` → `completed`; final.
 * - batch: `pending` → `processing` | `cancelled`; `processing` → `completed` | `failed` | `cancelled`;
 *   `failed` → `processing` (a retry). `completed` and `cancelled` are final.
 * - batch chunk: `pending` → `processing`; `processing` → `completed` | `failed`; `failed` → `pending`
 *   (a retry). `completed` is final.
 *
 * Each machine lists its initial status first: rows are created in it and reach the others only
 * through transitions (`stateful-repository.ts`).
 */
import { DurableExecutionError, DurableExecutionNotFoundError } from '../core/errors.js'

/** Status of a workflow. */
export type WorkflowStatus = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled'
/** Status of a workflow step. */
export type WorkflowStepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'
/** Status of a timer. */
export type TimerStatus = 'scheduled' | 'fired' | 'cancelled'
/** Status of a job attempt. */
export type JobAttemptStatus = 'running' | 'succeeded' | 'failed'
/** Status of an idempotency key. */
export type IdempotencyKeyStatus = 'in_progress' | 'completed'
/** Status of an ETL batch. */
export type BatchStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'
/** Status of a batch chunk. */
export type BatchChunkStatus = 'pending' | 'processing' | 'completed' | 'failed'

/** For each status, the statuses it may move to. */
export type StateMachine<TStatus extends string> = { readonly [S in TStatus]: ReadonlyArray<TStatus> }

/** Workflow transitions. */
export const WORKFLOW_TRANSITIONS: StateMachine<WorkflowStatus> = {
  pending: ['running', 'paused', 'cancelled'],
  running: ['completed', 'failed', 'paused', 'cancelled'],
  paused: ['pending', 'cancelled'],
  failed: ['running'],
  completed: [],
  cancelled: [],
}

/** Workflow step transitions. */
export const WORKFLOW_STEP_TRANSITIONS: StateMachine<WorkflowStepStatus> = {
  pending: ['running', 'skipped'],
  running: ['running', 'succeeded', 'pending', 'failed'],
  succeeded: [],
  failed: [],
  skipped: [],
}

/** Timer transitions. */
export const TIMER_TRANSITIONS: StateMachine<TimerStatus> = { scheduled: ['fired', 'cancelled'], fired: [], cancelled: [] }

/** Job attempt transitions. */
export const JOB_ATTEMPT_TRANSITIONS: StateMachine<JobAttemptStatus> = { running: ['succeeded', 'failed'], succeeded: [], failed: [] }

/** Idempotency key transitions. */
export const IDEMPOTENCY_KEY_TRANSITIONS: StateMachine<IdempotencyKeyStatus> = { in_progress: ['completed'], completed: [] }

/** Batch transitions. */
export const BATCH_TRANSITIONS: StateMachine<BatchStatus> = {
  pending: ['processing', 'cancelled'],
  processing: ['completed', 'failed', 'cancelled'],
  failed: ['processing'],
  completed: [],
  cancelled: [],
}

/** Batch chunk transitions. */
export const BATCH_CHUNK_TRANSITIONS: StateMachine<BatchChunkStatus> = {
  pending: ['processing'],
  processing: ['completed', 'failed'],
  failed: ['pending'],
  completed: [],
}

/** The statuses that may move to `to`. */
export function statusesLeadingTo<TStatus extends string>(machine: StateMachine<TStatus>, to: TStatus): Array<TStatus> {
  return (Object.keys(machine) as Array<TStatus>).filter((from) => machine[from].includes(to))
}

/** A repository was asked for a transition its state machine does not allow. Not retryable. */
export class InvalidTransitionError extends DurableExecutionError {
  /** The entity kind, e.g. `workflow`. */
  readonly entity: string
  /** The row's id. */
  readonly id: number
  /** The row's status when the transition was asked for. */
  readonly from: string
  /** The status asked for. */
  readonly to: string

  /**
   * @param entity - the entity kind, e.g. `workflow`.
   * @param id - the row's id.
   * @param from - its current status.
   * @param to - the status asked for.
   * @param allowedFrom - the statuses from which `to` may be reached.
   */
  constructor(entity: string, id: number, from: string, to: string, allowedFrom: ReadonlyArray<string>) {
    super(
      `Cannot move ${entity} ${id} from "${from}" to "${to}": "${to}" is reachable only from ` +
        `${allowedFrom.length > 0 ? allowedFrom.map((status) => `"${status}"`).join(', ') : 'no status'}.`,
    )
    this.entity = entity
    this.id = id
    this.from = from
    this.to = to
  }
}

/** A repository was asked about a row that does not exist (or is soft-deleted). */
export class JobRecordNotFoundError extends DurableExecutionNotFoundError {
  /**
   * @param entity - the entity kind, e.g. `workflow`.
   * @param id - the id that was not found.
   */
  constructor(entity: string, id: number) {
    super(`No ${entity} with id ${id} exists (or it was deleted): check the id.`)
  }
}

/**
 * A guarded transition found the row in a status it may leave, but held by someone else: another
 * worker claimed the step, its lease moved on, or the idempotency key belongs to another claimant.
 * Not retryable: the caller no longer owns the row.
 */
export class JobNotHeldError extends DurableExecutionError {
  /**
   * @param entity - the entity kind, e.g. `workflow step`.
   * @param id - the row's id.
   * @param to - the status asked for.
   * @param status - the row's status now.
   */
  constructor(entity: string, id: number, to: string, status: string) {
    super(`Cannot move ${entity} ${id} to "${to}": the caller does not hold it (it is "${status}" and held by another worker or its lease moved on).`)
  }
}
