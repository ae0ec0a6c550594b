/**
 * Every identifier the job-runner schema declares (tables, indexes, constraints), without the
 * user's prefix, so that all dialects name things alike and the prefix limit follows from the
 * longest one. A prefix is validated (letters, digits, underscore) and prepended as is.
 */
import { InvalidJobOptionError } from './errors.js'

/** Table names. */
export const JOB_TABLE_NAMES = {
  workflows: 'workflows',
  workflowSteps: 'workflow_steps',
  workflowHistory: 'workflow_history',
  timers: 'timers',
  jobAttempts: 'job_attempts',
  idempotencyKeys: 'idempotency_keys',
  batches: 'batches',
  batchChunks: 'batch_chunks',
  processedRows: 'processed_rows',
  errorRows: 'error_rows',
  batchRawRows: 'batch_raw_rows',
} as const

/** Index, unique, foreign-key and check constraint names. */
export const JOB_CONSTRAINT_NAMES = {
  workflowsStatusCheck: 'workflows_status_ck',
  workflowsStatus: 'workflows_status_ix',
  stepsStatusCheck: 'workflow_steps_status_ck',
  stepsWorkflowFk: 'workflow_steps_workflow_fk',
  stepsWorkflowName: 'workflow_steps_name_uq',
  stepsClaim: 'workflow_steps_claim_ix',
  stepsParallelGroup: 'workflow_steps_group_ix',
  stepsAvailable: 'workflow_steps_available_ix',
  stepsOfWorkflow: 'workflow_steps_owner_uq',
  historyWorkflowFk: 'workflow_history_workflow_fk',
  historyStepFk: 'workflow_history_step_fk',
  historyTimeline: 'workflow_history_timeline_ix',
  historyStep: 'workflow_history_step_ix',
  timersStatusCheck: 'timers_status_ck',
  timersWorkflowFk: 'timers_workflow_fk',
  timersStepFk: 'timers_step_fk',
  timersDue: 'timers_due_ix',
  timersTarget: 'timers_target_ix',
  attemptsStatusCheck: 'job_attempts_status_ck',
  attemptsWorkflowFk: 'job_attempts_workflow_fk',
  attemptsStepFk: 'job_attempts_step_fk',
  attemptsStepNumber: 'job_attempts_step_number_uq',
  attemptsWorkflow: 'job_attempts_workflow_ix',
  attemptsTarget: 'job_attempts_target_ix',
  idempotencyStatusCheck: 'idempotency_keys_status_ck',
  idempotencyScopeKey: 'idempotency_keys_scope_key_uq',
  batchesStatusCheck: 'batches_status_ck',
  batchesWorkflowFk: 'batches_workflow_fk',
  batchesStatus: 'batches_status_ix',
  batchesWorkflow: 'batches_workflow_ix',
  chunksStatusCheck: 'batch_chunks_status_ck',
  chunksBatchFk: 'batch_chunks_batch_fk',
  chunksStepFk: 'batch_chunks_step_fk',
  chunksBatchIndex: 'batch_chunks_index_uq',
  chunksStep: 'batch_chunks_step_ix',
  processedBatchFk: 'processed_rows_batch_fk',
  processedChunkFk: 'processed_rows_chunk_fk',
  processedBatchRow: 'processed_rows_row_uq',
  processedChunk: 'processed_rows_chunk_ix',
  errorsBatchFk: 'error_rows_batch_fk',
  errorsChunkFk: 'error_rows_chunk_fk',
  errorsBatchRow: 'error_rows_row_uq',
  errorsChunk: 'error_rows_chunk_ix',
  rawRowsBatchFk: 'batch_raw_rows_batch_fk',
  rawRowsBatchRow: 'batch_raw_rows_row_uq',
} as const

const LONGEST_NAME_LENGTH = Math.max(
  ...[...Object.values(JOB_TABLE_NAMES), ...Object.values(JOB_CONSTRAINT_NAMES)].map((name) => name.length),
)

const PREFIX_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Checks a table-name prefix and returns a function that prefixes names with it.
 * @param prefix - letters, digits and underscores, starting with a letter or underscore; may be empty.
 * @param dialectName - for the message.
 * @param maxIdentifierLength - the dialect's identifier limit (PostgreSQL 63, MySQL 64).
 * @param reservedPrefix - a prefix the database keeps for its own tables (SQLite's `sqlite_`).
 * @throws InvalidJobOptionError when the prefix holds other characters, would push a name past the
 *   limit, or starts with the reserved prefix (whatever its case).
 */
export function jobNamer(
  prefix: unknown,
  dialectName: string,
  maxIdentifierLength: number,
  reservedPrefix?: string,
): (name: string) => string {
  if (reservedPrefix !== undefined && typeof prefix === 'string' && prefix.toLowerCase().startsWith(reservedPrefix)) {
    throw new InvalidJobOptionError(
      'job table prefix',
      prefix,
      `${dialectName} keeps names starting with "${reservedPrefix}" for its own tables, so creating them would fail: choose another prefix.`,
    )
  }
  const maxPrefixLength = maxIdentifierLength - LONGEST_NAME_LENGTH
  if (prefix === '' || (typeof prefix === 'string' && PREFIX_PATTERN.test(prefix) && prefix.length <= maxPrefixLength)) {
    return (name) => `${prefix}${name}`
  }
  throw new InvalidJobOptionError(
    'job table prefix',
    prefix,
    `for ${dialectName} use letters, digits and underscores, starting with a letter or underscore, at most ` +
      `${maxPrefixLength} characters so that every table, index and constraint name fits the ` +
      `${maxIdentifierLength}-character identifier limit.`,
  )
}
