/**
 * Running one claimed execution in this process (spec 4.4, 4.6): find the task, deserialize and
 * validate the input, race the run against its timeout (or its lease's end, if sooner) and
 * interruption, then plan its result (`run-result.ts`) and write it under the lease
 * (`run-write.ts`). Also interrupts runs (cancellation, shutdown, a lost lease).
 */
import {
  DurableExecutionError,
  DurableExecutionNotFoundError,
  DurableExecutionTimedOutError,
} from '../errors.js'
import { deserializeValue } from '../serializer.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import type { TaskRunFunction } from './registry.js'
import { planRunError, planRunFailure, planRunResult, type RunResultWrite } from './run-result.js'
import { endResultWrite, startResultWrite } from './run-slots.js'
import { writeRunResult } from './run-write.js'
import type { ExecutorRuntime, RunningExecution } from './runtime.js'
import type { TaskRunContext } from './types.js'

/**
 * Starts the in-process run of a claimed row unless it already runs here or its lease has ended
 * already (this process was paused after the claim: another executor may run it by now). The run
 * is tracked in `runtime.running` until its result is written or it is interrupted. A row claimed
 * again while the result of its previous run here is still being written runs again: that write
 * can no longer land (the claim gave the row a new lease token), so it is abandoned.
 */
export function startExecutionRun(runtime: ExecutorRuntime, row: TaskExecutionStorageValue, isSuspect = false): void {
  const previous = runtime.running.get(row.executionId)
  if (previous) {
    if (!previous.hasReturned) return
    interruptExecutionRun(runtime, previous, DurableExecutionError.nonRetryable('Task execution claimed again while its result was being written'))
  }
  if (row.expiresAt !== undefined && runtime.clock.now() >= row.expiresAt) {
    runtime.log.warn(
      `Not starting task execution [executionId=${row.executionId}]: its lease ended before it could start ` +
        '(was this process paused?); expiry recovery hands it to an executor',
      { executionId: row.executionId, taskId: row.taskId },
    )
    return
  }
  const expiryCount = row.expiryCount ?? 0
  if (expiryCount > 0) {
    runtime.log.warn(
      `Running task execution again after its lease expired ${expiryCount} time(s) ` +
        `[taskId=${row.taskId}] [executionId=${row.executionId}]`,
      { executionId: row.executionId, taskId: row.taskId, expiryCount },
    )
  }
  const entry: RunningExecution = {
    isSuspect,
    executionId: row.executionId,
    abortController: undefined,
    isAborted: false,
    abortReason: undefined,
    isInterrupted: false,
    settleRun: undefined,
    cancelDeadline: undefined,
    done: undefined,
    isWritingResult: false,
    hasReturned: false,
  }
  runtime.running.set(row.executionId, entry)
  entry.done = runExecution(runtime, row, entry)
    .catch((error: unknown) => {
      runtime.log.error(`Unexpected error in running task execution [executionId=${row.executionId}]`, error)
    })
    .finally(() => {
      entry.cancelDeadline?.()
      abortRun(entry, undefined)
      endResultWrite(runtime, entry)
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
  endResultWrite(runtime, entry)
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
  const write = await planRun(runtime, row, entry)
  if (write === undefined || entry.isInterrupted) return
  startResultWrite(runtime, entry, row.expiresAt)
  const outcome = await writeRunResult(runtime, row, write, () => entry.isInterrupted)
  if (outcome === 'lease_lost') abortRun(entry, DurableExecutionError.nonRetryable('Task execution lease lost'))
}

/** Runs the task and returns the write its outcome calls for; `undefined` once interrupted. */
async function planRun(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  entry: RunningExecution,
): Promise<RunResultWrite | undefined> {
  const definition = runtime.registry.get(row.taskId)
  if (!definition || !definition.run) {
    return planRunFailure(runtime, row, new DurableExecutionNotFoundError(`Task not found [taskId=${row.taskId}]`))
  }
  let input: unknown
  try {
    input = await deserializeValue(runtime.serializer, row.input)
  } catch (error) {
    return planRunFailure(runtime, row, error)
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
    if (entry.isInterrupted) return undefined
    const outcome = await raceRun(runtime, entry, definition.run, ctx, validatedInput, runDeadline(runtime, row))
    if (entry.isInterrupted) return undefined
    if (!outcome.ok) throw outcome.error
    return await planRunResult(runtime, row, definition, outcome.value)
  } catch (error) {
    if (entry.isInterrupted) return undefined
    return planRunError(runtime, row, error)
  }
}

/**
 * When the run must stop, on this process's clock: its timeout, or the end of its lease if that
 * comes first (a run that started late must not outlive its lease; its result would be dropped).
 */
function runDeadline(runtime: ExecutorRuntime, row: TaskExecutionStorageValue): number {
  const timeoutAt = Date.now() + row.timeoutMs
  return row.expiresAt === undefined ? timeoutAt : Math.min(timeoutAt, runtime.clock.toLocalTime(row.expiresAt))
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
  deadlineAt: number,
): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve) => {
    const fail = (error: unknown) => resolve({ ok: false, error })
    const deadline = runtime.deadlines.schedule(deadlineAt, () => {
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
