/**
 * Making a run's result write (planned in `run-result.ts`) under the run's lease: fenced by its
 * lease token, retried while the database is away (a run that succeeded is never recorded as
 * failed because of the storage), dropped when the lease was lost or ended (another executor owns
 * the execution then), and replaced by the T9 failure only when the storage refuses it for good.
 */
import type { TaskExecutionStorageValue } from '../storage.js'
import { callUnderLease, LeaseEndedBeforeWrite } from './lease-writes.js'
import { planRunFailure, type RunResultWrite } from './run-result.js'
import {
  fencedFilters,
  updateExecutionByIdAndInsertChildren,
  writeRunResultById,
  type ExecutorRuntime,
} from './runtime.js'

const RUNNING_FILTER = { status: 'running' } as const

/** What became of a run's result write. */
export type RunWriteOutcome = 'written' | 'lease_lost'

/**
 * Writes `write` onto the running row `row` while the run's lease lasts. `isAbandoned` stops the
 * retries (the run was interrupted). Resolves to `lease_lost` when the row is no longer this
 * run's (taken over, cancelled) or the lease ended first; the result is dropped then.
 */
export async function writeRunResult(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  write: RunResultWrite,
  isAbandoned: () => boolean,
): Promise<RunWriteOutcome> {
  const filters = fencedFilters(row, RUNNING_FILTER)
  const what = `the result of task execution [executionId=${row.executionId}]`
  let answer
  try {
    const lease = { endsAt: row.expiresAt, isFenced: row.leaseToken !== undefined, isAbandoned }
    answer = await callUnderLease(runtime, lease, `writing ${what}`, () =>
      write.children.length > 0
        ? updateExecutionByIdAndInsertChildren(runtime, row.executionId, filters, write.update, write.children, row, true)
        : writeRunResultById(runtime, row, filters, write.update),
    )
  } catch (error) {
    // The storage refuses this write for good (a constraint, say): T9 records why, if it can.
    runtime.log.error(`Error in writing ${what}`, error)
    if (write.isFallback) return 'lease_lost'
    return await writeRunResult(runtime, row, planRunFailure(runtime, row, error), isAbandoned)
  }
  if (answer instanceof LeaseEndedBeforeWrite || answer === false) {
    const reason = answer instanceof LeaseEndedBeforeWrite ? answer.reason : 'its row is no longer running under its lease'
    runtime.log.warn(`Dropped ${what}: ${reason} (cancelled, expired or taken over by another executor)`, {
      executionId: row.executionId,
      taskId: row.taskId,
    })
    return 'lease_lost'
  }
  write.afterWrite()
  return 'written'
}
