/**
 * The job store: every repository bound to one SQL session, and `withTransaction`, which runs a
 * unit of work on a transaction and hands the callback a store bound to it.
 */
import type { SqlSession } from '../sql/index.js'
import { checkedJobSession } from './checked-session.js'
import type { JobTables } from './job-tables.js'
import { BatchChunkRepository, BatchRepository } from './repositories/batches.js'
import { BatchRawRowRepository, ErrorRowRepository, ProcessedRowRepository } from './repositories/batch-rows.js'
import { IdempotencyKeyRepository, JobAttemptRepository } from './repositories/attempts-and-keys.js'
import { TimerRepository, WorkflowHistoryRepository } from './repositories/history-and-timers.js'
import { WorkflowStepRepository } from './repositories/workflow-steps.js'
import { WorkflowRepository } from './repositories/workflows.js'
import { runTransaction, type TransactionRetryOptions } from './transactions.js'

/** Every job-runner repository. */
export type JobRepositories = {
  readonly workflows: WorkflowRepository
  readonly workflowSteps: WorkflowStepRepository
  readonly workflowHistory: WorkflowHistoryRepository
  readonly timers: TimerRepository
  readonly jobAttempts: JobAttemptRepository
  readonly idempotencyKeys: IdempotencyKeyRepository
  readonly batches: BatchRepository
  readonly batchChunks: BatchChunkRepository
  readonly processedRows: ProcessedRowRepository
  readonly errorRows: ErrorRowRepository
  readonly batchRawRows: BatchRawRowRepository
}

/** Repositories on one session (a database or a transaction), with the tables and the clock. */
export type JobStore = JobRepositories & {
  readonly session: SqlSession
  readonly tables: JobTables
  /** The clock in epoch milliseconds. */
  readonly now: () => number
}

/**
 * Binds every repository to `session` (checked: see `checked-session.ts`).
 * @param now - the clock in epoch milliseconds (default `Date.now`).
 */
export function createJobStore(sqlSession: SqlSession, tables: JobTables, now: () => number = Date.now): JobStore {
  // Statements through the store's own session are checked and classified like the repositories'.
  const session = checkedJobSession(sqlSession)
  const context = { session, now }
  return {
    session,
    tables,
    now,
    workflows: new WorkflowRepository(context, tables),
    workflowSteps: new WorkflowStepRepository(context, tables),
    workflowHistory: new WorkflowHistoryRepository(context, tables),
    timers: new TimerRepository(context, tables),
    jobAttempts: new JobAttemptRepository(context, tables),
    idempotencyKeys: new IdempotencyKeyRepository(context, tables),
    batches: new BatchRepository(context, tables),
    batchChunks: new BatchChunkRepository(context, tables),
    processedRows: new ProcessedRowRepository(context, tables),
    errorRows: new ErrorRowRepository(context, tables),
    batchRawRows: new BatchRawRowRepository(context, tables),
  }
}

/**
 * Runs `fn` as one all-or-nothing unit of work: `fn` receives a store whose repositories run on
 * the transaction; it commits when `fn` resolves and rolls back (rethrowing) when it throws.
 *
 * Conflicts are retried: when the transaction fails on a deadlock, a serialization failure, a
 * lock wait timeout (MariaDB) or a busy database (SQLite), it is rolled back and `fn` runs again
 * from the start on a new transaction, up to `options.maxAttempts` times (default 5) with
 * jittered backoff; then a `TransactionConflictError` names the attempts and the driver's
 * code. So `fn` must be safe to run again: it may only write through `tx`, and any effect outside
 * the database (a message sent, a counter in memory) happens once per attempt. Statements inside
 * the transaction are never retried on their own.
 *
 * Called with a transactional store (nested), it opens a savepoint: an inner failure rolls back
 * only the inner unit, and the outer one may continue; a nested unit is not retried on its own
 * (a conflict ends the whole transaction, which the outermost call retries). On SQLite, other
 * callers of the same connection wait until the transaction ends; do not use the outer
 * (non-transactional) store inside `fn`, which would wait for itself.
 */
export async function withTransaction<T>(store: JobStore, fn: (tx: JobStore) => Promise<T>, options?: TransactionRetryOptions): Promise<T> {
  return runTransaction(store.session, (session) => fn(createJobStore(session, store.tables, store.now)), options)
}
