/**
 * The run slots of `maxConcurrentTaskExecutions`. A run takes a slot from its claim until its run
 * function returns; the write of its result then goes on outside the slot (results finishing
 * together share one write, `result-writes.ts`), so the next claim does not wait for that write's
 * round trip. Writes in flight take slots of their own, as many as the runs: the rows this process
 * holds under lease (claimed, result not yet written) are never more than twice the concurrency,
 * and a claim takes only rows that start at once. A write still pending when its run's lease ends
 * (the database is slow or away) takes its run's slot back until it ends: the process then claims
 * neither that execution, which the expiry sweep makes ready again, nor more work it cannot write.
 */
import type { ExecutorRuntime, RunningExecution } from './runtime.js'

/**
 * How many rows a claim may take now, with `held` rows in `running` (claimed, result not yet
 * written) of which `writing` have returned and are writing their result.
 */
export function freeRunSlots(maxConcurrent: number, held: number, writing: number): number {
  const executing = held - writing
  return Math.max(0, Math.min(maxConcurrent - executing, 2 * maxConcurrent - held))
}

/**
 * The run of `entry` has returned and writes its result from now on: its slot is free until the
 * write ends or the run's lease does (`leaseEndsAt`, storage time).
 */
export function startResultWrite(runtime: ExecutorRuntime, entry: RunningExecution, leaseEndsAt: number | undefined): void {
  if (entry.hasReturned) return
  entry.hasReturned = true
  entry.isWritingResult = true
  runtime.resultsBeingWritten.count++
  // The run's own timeout has nothing left to stop; the lease's end now ends the free slot.
  entry.cancelDeadline?.()
  entry.cancelDeadline =
    leaseEndsAt === undefined
      ? undefined
      : runtime.deadlines.schedule(runtime.clock.toLocalTime(leaseEndsAt), () => endResultWrite(runtime, entry)).cancel
  runtime.onRunEnded()
}

/** The result write of `entry` is over (written, dropped, or interrupted). */
export function endResultWrite(runtime: ExecutorRuntime, entry: RunningExecution): void {
  if (!entry.isWritingResult) return
  entry.isWritingResult = false
  runtime.resultsBeingWritten.count--
}
