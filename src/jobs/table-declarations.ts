/**
 * The job-runner tables declared once: every table's columns, checks, foreign keys and indexes,
 * over a dialect's builders (`table-builders.ts`), so a dialect file (`tables/*.ts`) holds only
 * its column types. The order of columns and constraints here is the order of the shipped
 * migrations' SQL: keep it.
 */
import type { $Type, NotNull, Table } from 'drizzle-orm'
import { registerJobColumnKinds, type JobColumnKind } from './column-values.js'
import { JOB_CONSTRAINT_NAMES as N, JOB_TABLE_NAMES as T } from './names.js'
import {
  BATCH_CHUNK_TRANSITIONS,
  BATCH_TRANSITIONS,
  IDEMPOTENCY_KEY_TRANSITIONS,
  JOB_ATTEMPT_TRANSITIONS,
  TIMER_TRANSITIONS,
  WORKFLOW_STEP_TRANSITIONS,
  WORKFLOW_TRANSITIONS,
  type StateMachine,
} from './state-machines.js'
import { statusCheck } from './status-check.js'
import type { JobColumnBuilders, JobForeignKeyAction, JobTableBuilders, JobTableKind, JobTableOf } from './table-builders.js'

/** The job-runner tables with a dialect's column builders `B` and table kind `TKind`. */
export function declareJobTables<
  B extends JobColumnBuilders<TColumnBuilder>,
  TKind extends JobTableKind,
  TColumnBuilder,
  TColumn,
  TConstraint,
>(builders: B, dialect: JobTableBuilders<TKind, TColumnBuilder, TColumn, TConstraint>, name: (unprefixedName: string) => string) {
  // Each builder's kind, so that the repositories check values by kind (`column-values.ts`).
  const kinds = new WeakMap<object, JobColumnKind>()
  const withKind = <TBuilder extends object>(builder: TBuilder, kind: JobColumnKind) => {
    kinds.set(builder, kind)
    return builder
  }
  // The dialect's table function returns exactly `JobTableOf<TKind, TColumns>`, and every job
  // table has an `id`; TypeScript cannot follow either through the generic call, hence the casts.
  const table = <TColumns extends Record<string, TColumnBuilder>>(
    tableName: string,
    columns: TColumns,
    constraints: (columns: { readonly [K in keyof TColumns]: TColumn }) => Array<TConstraint>,
  ) => {
    const declared = dialect.table(name(tableName), columns, constraints as (columns: Record<string, TColumn>) => Array<TConstraint>)
    const columnKinds = Object.entries(columns).map(([key, builder]) => [key, kinds.get(builder as object)] as const)
    registerJobColumnKinds(declared, Object.fromEntries(columnKinds.filter((entry): entry is [string, JobColumnKind] => entry[1] !== undefined)))
    return declared as JobTableOf<TKind, TColumns>
  }
  const column = <K extends Exclude<keyof JobColumnBuilders, 'id'>>(kind: K, columnName: string) =>
    withKind(builders[kind](columnName), kind) as ReturnType<B[K]>
  const id = () => withKind(builders.id(), 'id') as ReturnType<B['id']>
  const payload = (columnName: string) => column('payload', columnName).$type<unknown>()
  // Chained on a generic builder, `.notNull()` would type `this` as the builder without the
  // `$type` before it, so the result's type is stated.
  const status = <TStatus extends string>(_machine: StateMachine<TStatus>) =>
    column('label', 'status').$type<TStatus>().notNull() as NotNull<$Type<ReturnType<B['label']>, TStatus>>
  const checkStatus = <TStatus extends string>(checkName: string, machine: StateMachine<TStatus>) =>
    dialect.check(name(checkName), statusCheck('status', machine))
  const index = (indexName: string, ...columns: [TColumn, ...Array<TColumn>]) => dialect.index(name(indexName)).on(...columns)
  const unique = (indexName: string, ...columns: [TColumn, ...Array<TColumn>]) =>
    dialect.uniqueIndex(name(indexName)).on(...columns)
  const references = (fkName: string, child: TColumn, parent: Table, action: JobForeignKeyAction) => {
    const parentId = (parent as unknown as { readonly id: TColumn }).id
    return dialect.foreignKey({ name: name(fkName), columns: [child], foreignColumns: [parentId] }).onDelete(action)
  }
  // A step reference names its workflow too, so it cannot point at a step of another workflow.
  const referencesStepOfWorkflow = (fkName: string, workflowId: TColumn, stepId: TColumn, steps: Table) => {
    const parent = steps as unknown as { readonly workflowId: TColumn; readonly id: TColumn }
    return dialect
      .foreignKey({ name: name(fkName), columns: [workflowId, stepId], foreignColumns: [parent.workflowId, parent.id] })
      .onDelete('cascade')
  }

  const workflows = table(
    T.workflows,
    {
      id: id(),
      name: column('label', 'name').notNull(),
      status: status(WORKFLOW_TRANSITIONS),
      input: payload('input'),
      output: payload('output'),
      error: payload('error'),
      attempts: column('integer', 'attempts').notNull(),
      createdAt: column('time', 'created_at').notNull(),
      updatedAt: column('time', 'updated_at').notNull(),
      startedAt: column('time', 'started_at'),
      finishedAt: column('time', 'finished_at'),
      deletedAt: column('time', 'deleted_at'),
    },
    (t) => [
      checkStatus(N.workflowsStatusCheck, WORKFLOW_TRANSITIONS),
      index(N.workflowsStatus, t.status),
    ],
  )
  const workflowSteps = table(
    T.workflowSteps,
    {
      id: id(),
      workflowId: column('reference', 'workflow_id').notNull(),
      name: column('label', 'name').notNull(),
      status: status(WORKFLOW_STEP_TRANSITIONS),
      position: column('integer', 'position').notNull(),
      parallelGroup: column('label', 'parallel_group'),
      input: payload('input'),
      output: payload('output'),
      error: payload('error'),
      attempts: column('integer', 'attempts').notNull(),
      maxAttempts: column('integer', 'max_attempts').notNull(),
      claimedBy: column('label', 'claimed_by'),
      leaseExpiresAt: column('time', 'lease_expires_at'),
      createdAt: column('time', 'created_at').notNull(),
      updatedAt: column('time', 'updated_at').notNull(),
      startedAt: column('time', 'started_at'),
      finishedAt: column('time', 'finished_at'),
      // When the step may next be claimed: a pending step's retry time, a running step's lease expiry;
      // past every clock once it finished.
      availableAt: column('time', 'available_at').default(0).notNull(),
    },
    (t) => [
      checkStatus(N.stepsStatusCheck, WORKFLOW_STEP_TRANSITIONS),
      references(N.stepsWorkflowFk, t.workflowId, workflows, 'cascade'),
      unique(N.stepsWorkflowName, t.workflowId, t.name),
      index(N.stepsClaim, t.workflowId, t.status, t.position),
      index(N.stepsParallelGroup, t.workflowId, t.parallelGroup),
      // The claims' index: candidates in claim order; finished steps sit past every clock, outside the range.
      index(N.stepsAvailable, t.availableAt, t.id),
      dialect.unique(name(N.stepsOfWorkflow)).on(t.workflowId, t.id),
    ],
  )
  const workflowHistory = table(
    T.workflowHistory,
    {
      id: id(),
      workflowId: column('reference', 'workflow_id').notNull(),
      stepId: column('reference', 'step_id'),
      event: column('label', 'event').notNull(),
      data: payload('data'),
      createdAt: column('time', 'created_at').notNull(),
    },
    (t) => [
      references(N.historyWorkflowFk, t.workflowId, workflows, 'cascade'),
      references(N.historyStepFk, t.stepId, workflowSteps, 'cascade'),
      index(N.historyTimeline, t.workflowId, t.createdAt, t.id),
      index(N.historyStep, t.stepId),
    ],
  )
  const timers = table(
    T.timers,
    {
      id: id(),
      workflowId: column('reference', 'workflow_id').notNull(),
      stepId: column('reference', 'step_id'),
      status: status(TIMER_TRANSITIONS),
      dueAt: column('time', 'due_at').notNull(),
      payload: payload('payload'),
      firedAt: column('time', 'fired_at'),
      createdAt: column('time', 'created_at').notNull(),
      updatedAt: column('time', 'updated_at').notNull(),
    },
    (t) => [
      checkStatus(N.timersStatusCheck, TIMER_TRANSITIONS),
      references(N.timersWorkflowFk, t.workflowId, workflows, 'cascade'),
      referencesStepOfWorkflow(N.timersStepFk, t.workflowId, t.stepId, workflowSteps),
      index(N.timersDue, t.status, t.dueAt),
      index(N.timersTarget, t.workflowId, t.stepId),
    ],
  )
  const jobAttempts = table(
    T.jobAttempts,
    {
      id: id(),
      workflowId: column('reference', 'workflow_id').notNull(),
      stepId: column('reference', 'step_id').notNull(),
      attemptNumber: column('integer', 'attempt_number').notNull(),
      workerId: column('label', 'worker_id'),
      status: status(JOB_ATTEMPT_TRANSITIONS),
      error: payload('error'),
      startedAt: column('time', 'started_at').notNull(),
      finishedAt: column('time', 'finished_at'),
    },
    (t) => [
      checkStatus(N.attemptsStatusCheck, JOB_ATTEMPT_TRANSITIONS),
      references(N.attemptsWorkflowFk, t.workflowId, workflows, 'cascade'),
      referencesStepOfWorkflow(N.attemptsStepFk, t.workflowId, t.stepId, workflowSteps),
      unique(N.attemptsStepNumber, t.stepId, t.attemptNumber),
      index(N.attemptsWorkflow, t.workflowId),
      index(N.attemptsTarget, t.workflowId, t.stepId),
    ],
  )
  const idempotencyKeys = table(
    T.idempotencyKeys,
    {
      id: id(),
      scope: column('label', 'scope').notNull(),
      key: column('label', 'key').notNull(),
      status: status(IDEMPOTENCY_KEY_TRANSITIONS),
      claimToken: column('label', 'claim_token').notNull(),
      result: payload('result'),
      createdAt: column('time', 'created_at').notNull(),
      completedAt: column('time', 'completed_at'),
    },
    (t) => [
      checkStatus(N.idempotencyStatusCheck, IDEMPOTENCY_KEY_TRANSITIONS),
      unique(N.idempotencyScopeKey, t.scope, t.key),
    ],
  )
  const batches = table(
    T.batches,
    {
      id: id(),
      name: column('label', 'name').notNull(),
      status: status(BATCH_TRANSITIONS),
      rawData: payload('raw_data'),
      totalRows: column('integer', 'total_rows').notNull(),
      processedCount: column('integer', 'processed_count').notNull(),
      errorCount: column('integer', 'error_count').notNull(),
      workflowId: column('reference', 'workflow_id'),
      createdAt: column('time', 'created_at').notNull(),
      updatedAt: column('time', 'updated_at').notNull(),
      deletedAt: column('time', 'deleted_at'),
    },
    (t) => [
      checkStatus(N.batchesStatusCheck, BATCH_TRANSITIONS),
      references(N.batchesWorkflowFk, t.workflowId, workflows, 'set null'),
      index(N.batchesStatus, t.status),
      index(N.batchesWorkflow, t.workflowId),
    ],
  )
  const batchChunks = table(
    T.batchChunks,
    {
      id: id(),
      batchId: column('reference', 'batch_id').notNull(),
      stepId: column('reference', 'step_id'),
      chunkIndex: column('integer', 'chunk_index').notNull(),
      startRow: column('integer', 'start_row').notNull(),
      endRow: column('integer', 'end_row').notNull(),
      status: status(BATCH_CHUNK_TRANSITIONS),
      createdAt: column('time', 'created_at').notNull(),
      updatedAt: column('time', 'updated_at').notNull(),
    },
    (t) => [
      checkStatus(N.chunksStatusCheck, BATCH_CHUNK_TRANSITIONS),
      references(N.chunksBatchFk, t.batchId, batches, 'cascade'),
      references(N.chunksStepFk, t.stepId, workflowSteps, 'set null'),
      unique(N.chunksBatchIndex, t.batchId, t.chunkIndex),
      index(N.chunksStep, t.stepId),
    ],
  )
  // Processed and error rows share their shape; only the error payload and the names differ.
  const batchRowTable = <TExtra extends Record<string, TColumnBuilder>>(
    tableName: string,
    names: { batchFk: string; chunkFk: string; batchRow: string; chunk: string },
    extra: TExtra,
  ) =>
      table(
        tableName,
        {
          id: id(),
          batchId: column('reference', 'batch_id').notNull(),
          chunkId: column('reference', 'chunk_id'),
          rowIndex: column('integer', 'row_index').notNull(),
          data: payload('data'),
          ...extra,
          createdAt: column('time', 'created_at').notNull(),
        },
        (t) => [
          references(names.batchFk, t.batchId, batches, 'cascade'),
          references(names.chunkFk, t.chunkId, batchChunks, 'set null'),
          unique(names.batchRow, t.batchId, t.rowIndex),
          index(names.chunk, t.chunkId),
        ],
      )
  const processedRows = batchRowTable(T.processedRows, {
    batchFk: N.processedBatchFk,
    chunkFk: N.processedChunkFk,
    batchRow: N.processedBatchRow,
    chunk: N.processedChunk,
  }, {})
  const errorRows = batchRowTable(T.errorRows, {
    batchFk: N.errorsBatchFk,
    chunkFk: N.errorsChunkFk,
    batchRow: N.errorsBatchRow,
    chunk: N.errorsChunk,
  }, { error: payload('error') })
  // A batch's input rows, one per row: loaded in chunks and read a page at a time, never whole.
  const batchRawRows = table(
    T.batchRawRows,
    {
      id: id(),
      batchId: column('reference', 'batch_id').notNull(),
      rowIndex: column('integer', 'row_index').notNull(),
      data: payload('data'),
      createdAt: column('time', 'created_at').notNull(),
    },
    (t) => [
      references(N.rawRowsBatchFk, t.batchId, batches, 'cascade'),
      unique(N.rawRowsBatchRow, t.batchId, t.rowIndex),
    ],
  )
  return { workflows, workflowSteps, workflowHistory, timers, jobAttempts, idempotencyKeys, batches, batchChunks, processedRows, errorRows, batchRawRows }
}
