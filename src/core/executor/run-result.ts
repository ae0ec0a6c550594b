/**
 * The result of a finished run (spec 4.6, transitions T3-T9) as a write to make: the output of a
 * plain task, a parent's finalize step or children, or the error (a retry, a final status by error
 * class, or the T9 fallback). Planning a write may fail only for the run's own reasons (an
 * oversized output, too many children); storage errors belong to `run-write.ts`, which makes it.
 */
import {
  convertErrorToDurableExecutionError,
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionTimedOutError,
} from '../errors.js'
import type { TaskExecutionStorageInternalUpdate } from '../internal-update.js'
import type { TaskExecutionStorageValue, TaskExecutionSummary } from '../storage.js'
import { SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID } from './composite-tasks.js'
import { computeRetryDelayMs } from './options.js'
import { normalizeParentRunOutput, type TaskDefinition } from './registry.js'
import {
  buildChildRow,
  errorValue,
  getChildTaskDefinition,
  serializeForStorage,
  summaryOf,
  wakeAfterFinished,
  type ExecutorRuntime,
} from './runtime.js'
import type { ChildTask } from './types.js'

/** A run's outcome as one write: the update of the running row, the children to insert with it, and who to wake after. */
export type RunResultWrite = {
  readonly update: TaskExecutionStorageInternalUpdate
  readonly children: Array<TaskExecutionStorageValue>
  /** Wakes the loops the write makes work for, once it landed. */
  readonly afterWrite: () => void
  /** Whether this write is already the T9 fallback (a failure of it is only logged). */
  readonly isFallback?: boolean
}

/** A write without children that wakes the close-ready (or close) loop when the row finished. */
function finishingWrite(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  update: TaskExecutionStorageInternalUpdate,
): RunResultWrite {
  return { update, children: [], afterWrite: () => wakeAfterFinished(runtime, row) }
}

/** The write of a successful run: T3, T4, T5 or T6. Throws a run error (size, children). */
export async function planRunResult(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  result: unknown,
): Promise<RunResultWrite> {
  if (definition.taskType === 'task') {
    const output = await serializeForStorage(runtime, result, 'output', describeOutput(row))
    return finishingWrite(runtime, row, { status: 'completed', output, children: [] })
  }

  const { output, children } = normalizeParentRunOutput(result, definition.id)
  const maxChildren = runtime.options.maxChildrenPerTaskExecution
  if (children.length > maxChildren) {
    throw DurableExecutionError.nonRetryable(
      `Parent task tried to spawn more than max children tasks [taskId=${definition.id}] [attempted=${children.length}] [max=${maxChildren}]`,
    )
  }
  return children.length === 0
    ? await planParentWithoutChildren(runtime, row, definition, output)
    : await planParentWithChildren(runtime, row, definition, output, children)
}

/** T3, T4 or T5: a parent that spawned no children goes straight to its finalize step. */
async function planParentWithoutChildren(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  output: unknown,
): Promise<RunResultWrite> {
  const finalize = definition.finalize
  const finalizeInput = { output, children: [] }
  if (!finalize) {
    const serialized = await serializeForStorage(runtime, finalizeInput, 'output', describeOutput(row))
    return finishingWrite(runtime, row, { status: 'completed', output: serialized, children: [] })
  }

  if (finalize.kind === 'function') {
    const waitingForFinalizeStartedAt = runtime.clock.now()
    let finalOutput: unknown
    try {
      finalOutput = await finalize.run(finalizeInput)
    } catch (error) {
      return finishingWrite(runtime, row, {
        status: 'finalize_failed',
        error: errorValue(finalizeFunctionError(error)),
        waitingForFinalizeStartedAt,
        children: [],
      })
    }
    // Outside the finalize failure path on purpose: an oversized output fails the run (spec 4.6).
    return finishingWrite(runtime, row, {
      status: 'completed',
      output: await serializeForStorage(runtime, finalOutput, 'output', describeOutput(row)),
      waitingForFinalizeStartedAt,
      children: [],
    })
  }

  const now = runtime.clock.now()
  const finalizeRow = await buildChildRow(
    runtime,
    finalize.task,
    { parent: row, indexInParentChildren: 0, isOnlyChildOfParent: false, isFinalizeOfParent: true },
    { value: finalizeInput },
    undefined,
    now,
  )
  return {
    update: {
      status: 'waiting_for_finalize',
      waitingForChildrenStartedAt: now,
      children: [],
      finalize: summaryOf(finalizeRow),
    },
    children: [finalizeRow],
    afterWrite: () => runtime.wake.pickup(finalizeRow.startAt),
  }
}

function describeOutput(row: TaskExecutionStorageValue): string {
  return `the output of task execution [taskId=${row.taskId}] [executionId=${row.executionId}]`
}

/** The error a failing finalize function is recorded with: non-retryable, message only. */
export function finalizeFunctionError(error: unknown): DurableExecutionError {
  return DurableExecutionError.nonRetryable(convertErrorToDurableExecutionError(error).message)
}

/** T6: insert the children (only the first step of a sequence) and wait for them. */
async function planParentWithChildren(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  definition: TaskDefinition,
  output: unknown,
  children: ReadonlyArray<ChildTask>,
): Promise<RunResultWrite> {
  const now = runtime.clock.now()
  const isOnlyChild = children.length === 1
  let rows: Array<TaskExecutionStorageValue>
  let summaries: Array<TaskExecutionSummary>
  if (definition.areChildrenSequential) {
    const first = children[0] as ChildTask
    for (const child of children) getChildTaskDefinition(runtime, child.task.id)
    const firstRow = await buildChildRow(
      runtime,
      getChildTaskDefinition(runtime, first.task.id),
      { parent: row, indexInParentChildren: 0, isOnlyChildOfParent: isOnlyChild, isFinalizeOfParent: false },
      { value: first.input },
      first.options,
      now,
    )
    rows = [firstRow]
    summaries = children.map((child, index) =>
      index === 0
        ? summaryOf(firstRow)
        : { taskId: child.task.id, executionId: SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID },
    )
  } else {
    rows = await Promise.all(
      children.map((child, index) =>
        buildChildRow(
          runtime,
          getChildTaskDefinition(runtime, child.task.id),
          {
            parent: row,
            indexInParentChildren: index,
            isOnlyChildOfParent: isOnlyChild,
            isFinalizeOfParent: false,
          },
          { value: child.input },
          child.options,
          now,
        ),
      ),
    )
    summaries = rows.map(summaryOf)
  }
  const runOutput = await serializeForStorage(
    runtime,
    output,
    'output',
    `the runParent output of task execution [taskId=${row.taskId}] [executionId=${row.executionId}]`,
  )
  return {
    update: { status: 'waiting_for_children', runOutput, children: summaries, activeChildrenCount: rows.length },
    children: rows,
    afterWrite: () => wakeChildren(runtime, rows),
  }
}

/** Wakes the loops for new children: the expiry sweep for sleeping ones, pickup for the others. */
function wakeChildren(runtime: ExecutorRuntime, rows: ReadonlyArray<TaskExecutionStorageValue>): void {
  let earliestStartAt = Number.POSITIVE_INFINITY
  for (const child of rows) {
    if (child.isSleepingTask && child.expiresAt !== undefined) runtime.wake.expiry(child.expiresAt)
    else if (child.startAt < earliestStartAt) earliestStartAt = child.startAt
  }
  if (earliestStartAt !== Number.POSITIVE_INFINITY) runtime.wake.pickup(earliestStartAt)
}

/**
 * The write of a run that threw: T7 (retry) or T8 (final status by error class). A run that
 * rejects once shutdown began (unless with a cancellation error) is handed back: `ready` again,
 * its attempt not counted, for another executor (our choice; upstream records it failed).
 */
export function planRunError(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  thrown: unknown,
): RunResultWrite {
  const error = convertErrorToDurableExecutionError(thrown)
  if (runtime.shutdownSignal.aborted && !(error instanceof DurableExecutionCancelledError)) {
    return planRelease(
      runtime,
      row,
      DurableExecutionError.retryable(
        `Task execution handed back at executor shutdown [executorId=${runtime.executorId}]: ${error.message}`,
        { isInternal: true },
      ),
    )
  }
  const ids = { executionId: row.executionId, taskId: row.taskId, attempt: row.retryAttempts }
  const named = `[taskId=${row.taskId}] [executionId=${row.executionId}]`
  if (error.isRetryable && row.retryAttempts < row.retryOptions.maxAttempts) {
    const delayMs = computeRetryDelayMs(row.retryOptions, row.retryAttempts)
    const retryAt = runtime.clock.now() + delayMs
    return {
      update: { status: 'ready', error: errorValue(error), retryAttempts: row.retryAttempts + 1, startAt: retryAt },
      children: [],
      afterWrite: () => {
        runtime.log.warn(`Task execution failed; retrying in ${Math.round(delayMs)} ms ${named}`, { ...ids, delayMs }, error)
        runtime.wake.pickup(retryAt)
      },
    }
  }
  const status =
    error instanceof DurableExecutionTimedOutError
      ? 'timed_out'
      : error instanceof DurableExecutionCancelledError
        ? 'cancelled'
        : 'failed'
  const write = finishingWrite(runtime, row, { status, error: errorValue(error) })
  return {
    ...write,
    afterWrite: () => {
      if (status === 'cancelled') runtime.log.info(`Task execution cancelled by its run ${named}`, ids)
      else runtime.log.error(`Task execution ${status === 'failed' ? 'failed' : 'timed out'} for good ${named}`, error, ids)
      write.afterWrite()
    },
  }
}

/**
 * A running row handed back to `ready` without counting an attempt, keeping its place in the
 * queue (its `startAt`), or, with `startAt`, for a later start.
 */
export function planRelease(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  reason: DurableExecutionError,
  startAt?: number,
): RunResultWrite {
  return {
    update: { status: 'ready', error: errorValue(reason), ...(startAt === undefined ? {} : { startAt }) },
    children: [],
    afterWrite: () => runtime.wake.pickup(startAt),
  }
}

/** Ends a running row `failed` with `error` as it is. */
export function planFailure(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  error: DurableExecutionError,
): RunResultWrite {
  return finishingWrite(runtime, row, { status: 'failed', error: errorValue(error) })
}

/**
 * T9: fails a running row outside the normal error path, with the prefix
 * `Error in running task execution [executionId=…]` and base-class errors made non-retryable.
 */
export function planRunFailure(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  thrown: unknown,
): RunResultWrite {
  const error = convertErrorToDurableExecutionError(thrown, {
    prefix: `Error in running task execution [executionId=${row.executionId}]`,
    isRetryable: false,
  })
  const write = planFailure(runtime, row, error)
  const ids = { executionId: row.executionId, taskId: row.taskId, attempt: row.retryAttempts }
  const afterWrite = () => {
    runtime.log.error(`Task execution failed [taskId=${row.taskId}] [executionId=${row.executionId}]`, error, ids)
    write.afterWrite()
  }
  return { ...write, afterWrite, isFallback: true }
}
