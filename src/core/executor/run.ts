/**
 * Running one claimed execution in this process (spec 4.4, 4.6): find the task, deserialize and
 * validate the input, race the run against its timeout and interruption, then hand the outcome
 * to `run-result.ts`. Also interrupts runs (cancellation, shutdown).
 */
import {
  DurableExecutionError,
  DurableExecutionNotFoundError,
  DurableExecutionTimedOutError,
} from '../errors.js'
import { deserializeValue } from '../serializer.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import type { TaskRunFunction } from './registry.js'
import { failRunningExecution, writeRunError, writeRunResult } from './run-result.js'
import type { ExecutorRuntime, RunningExecution } from './runtime.js'
import type { TaskRunContext } from './types.js'

/**
 * Starts the in-process run of a claimed row unless it already runs here. The run is tracked in
 * `runtime.running` until its result is written or it is interrupted.
 */
export function startExecutionRun(runtime: ExecutorRuntime, row: TaskExecutionStorageValue): void {
  if (runtime.running.has(row.executionId)) return
  const entry: RunningExecution = {
    executionId: row.executionId,
    abortController: undefined,
    isAborted: false,
    abortReason: undefined,
    isInterrupted: false,
    settleRun: undefined,
    cancelDeadline: undefined,
    done: undefined,
  }
  runtime.running.set(row.executionId, entry)
  entry.done = runExecution(runtime, row, entry)
    .catch((error: unknown) => {
      runtime.log.error(`Unexpected error in running task execution [executionId=${row.executionId}]`, error)
    })
    .finally(() => {
      entry.cancelDeadline?.()
      abortRun(entry, undefined)
      if (runtime.running.get(row.executionId) === entry) runtime.running.delete(row.executionId)
      runtime.onRunEnded()
    })
}

/**
 * Interrupts an in-process run (cancellation or shutdown): its run promise is abandoned, its
 * `abortSignal` aborts, and it writes nothing more.
 */
export function interruptExecutionRun(
  runtime: ExecutorRuntime,
  entry: RunningExecution,
  error: DurableExecutionError,
): void {
  if (runtime.running.get(entry.executionId) === entry) runtime.running.delete(entry.executionId)
  if (entry.isInterrupted) return
  entry.isInterrupted = true
  entry.cancelDeadline?.()
  entry.settleRun?.(error)
  abortRun(entry, error)
}

/** Aborts the run's `abortSignal` (now, or when it is first read). */
function abortRun(entry: RunningExecution, reason: unknown): void {
  if (entry.isAborted) return
  entry.isAborted = true
  entry.abortReason = reason
  entry.abortController?.abort(reason)
}

// Lazily: an AbortController and the DOMException of its abort cost more than many short runs.
function getAbortSignal(entry: RunningExecution): AbortSignal {
  if (!entry.abortController) {
    entry.abortController = new AbortController()
    if (entry.isAborted) entry.abortController.abort(entry.abortReason)
  }
  return entry.abortController.signal
}

async function runExecution(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  entry: RunningExecution,
): Promise<void> {
  const definition = runtime.registry.get(row.taskId)
  if (!definition || !definition.run) {
    await failRunningExecution(
      runtime,
      row,
      new DurableExecutionNotFoundError(`Task not found [taskId=${row.taskId}]`),
    )
    return
  }
  let input: unknown
  try {
    input = await deserializeValue(runtime.serializer, row.input)
  } catch (error) {
    await failRunningExecution(runtime, row, error)
    return
  }

  const ctx: TaskRunContext = {
    taskId: row.taskId,
    executionId: row.executionId,
    shutdownSignal: runtime.shutdownSignal,
    get abortSignal() {
      return getAbortSignal(entry)
    },
    attempt: row.retryAttempts,
  }
  if (row.root) ctx.root = row.root
  if (row.parent) ctx.parent = row.parent
  if (row.error) ctx.prevError = row.error

  try {
    const validatedInput = definition.validateInput
      ? await definition.validateInput(input)
      : input
    if (entry.isInterrupted) return
    const outcome = await raceRun(runtime, entry, definition.run, ctx, validatedInput, row.timeoutMs)
    if (entry.isInterrupted) return
    if (!outcome.ok) throw outcome.error
    await writeRunResult(runtime, row, definition, outcome.value)
  } catch (error) {
    if (entry.isInterrupted) return
    await writeRunError(runtime, row, error)
  }
}

/** How a run ended: with a value, or with what it threw (or the timeout / interruption error). */
type RunOutcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Runs the task's code against its timeout; interruption settles it through `entry.settleRun`. */
function raceRun(
  runtime: ExecutorRuntime,
  entry: RunningExecution,
  run: TaskRunFunction,
  ctx: TaskRunContext,
  input: unknown,
  timeoutMs: number,
): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve) => {
    const fail = (error: unknown) => resolve({ ok: false, error })
    const deadline = runtime.deadlines.schedule(Date.now() + timeoutMs, () => {
      const error = new DurableExecutionTimedOutError()
      fail(error)
      // The run may keep going; its abort signal tells it to stop.
      abortRun(entry, error)
    })
    entry.cancelDeadline = deadline.cancel
    entry.settleRun = fail
    let pending: unknown
    try {
      pending = run(ctx, input)
    } catch (error) {
      deadline.cancel()
      fail(error)
      return
    }
    Promise.resolve(pending).then(
      (value) => {
        deadline.cancel()
        resolve({ ok: true, value })
      },
      (error: unknown) => {
        deadline.cancel()
        fail(error)
      },
    )
  })
}
