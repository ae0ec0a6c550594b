/**
 * In-process wake-ups for handles waiting on an execution (beyond upstream): when this executor
 * writes a finished status, the handles waiting on that execution read it at once instead of at
 * their next poll, or take the finished row from the writer when it knows it (no read at all).
 * The finished row is also kept for handles that wait later, as long as one of them is reachable,
 * so awaiting handles one after another does not read each back. Polling stays the backstop for
 * executions finished by other processes.
 */
import { DurableExecutionCancelledError } from '../errors.js'
import type { TaskExecutionStorageValue } from '../storage.js'

/** One armed wait: armed before the handle reads the row, so a finish written meanwhile is not missed. */
export type FinishWakeUp = {
  /** Resolves after `ms` or once the execution is reported finished; rejects when `signal` aborts. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void>
  /** Stops listening (always call it, in `finally`). */
  dispose(): void
  /** The finished row the writer handed over with its wake-up, if it knew it. */
  readonly finishedRow: TaskExecutionStorageValue | undefined
}

/** The waiters of one executor, by execution id. */
export class FinishedExecutionWaiters {
  private readonly listeners = new Map<string, Set<(finishedRow: TaskExecutionStorageValue | undefined) => void>>()
  /** Reachable handles per execution id, and the finished rows this process wrote for them. */
  private readonly handleCounts = new Map<string, number>()
  private readonly finishedRows = new Map<string, TaskExecutionStorageValue>()
  private readonly rowsAwaitingFinalize = new Map<string, TaskExecutionStorageValue>()
  private readonly handlesCollected = new FinalizationRegistry<string>((executionId) => this.forgetHandle(executionId))

  /** Keeps `executionId`'s finished row, once this process writes it, while `handle` is reachable. */
  keepFinishedRowFor(handle: object, executionId: string): void {
    this.handleCounts.set(executionId, (this.handleCounts.get(executionId) ?? 0) + 1)
    this.handlesCollected.register(handle, executionId)
  }

  /**
   * Keeps the row of a parent this process moved to `waiting_for_finalize`, as written, while a
   * handle on it is reachable: the write that hands the finalize result over then knows the
   * finished row (nothing else writes the parent meanwhile).
   */
  keepRowAwaitingFinalize(executionId: string, row: () => TaskExecutionStorageValue): void {
    if (this.handleCounts.has(executionId)) this.rowsAwaitingFinalize.set(executionId, row())
  }

  /** The row {@link keepRowAwaitingFinalize} kept, if any. */
  rowAwaitingFinalize(executionId: string): TaskExecutionStorageValue | undefined {
    return this.rowsAwaitingFinalize.get(executionId)
  }

  /** The finished row this process wrote for `executionId`, kept for its handles. */
  keptFinishedRow(executionId: string): TaskExecutionStorageValue | undefined {
    return this.finishedRows.get(executionId)
  }

  private forgetHandle(executionId: string): void {
    const count = (this.handleCounts.get(executionId) ?? 1) - 1
    if (count > 0) return void this.handleCounts.set(executionId, count)
    this.handleCounts.delete(executionId)
    this.finishedRows.delete(executionId)
    this.rowsAwaitingFinalize.delete(executionId)
  }

  /** Starts listening for `executionId`'s finish. */
  arm(executionId: string): FinishWakeUp {
    let woken = false
    let finishedRow: TaskExecutionStorageValue | undefined
    let wakeWaiter: (() => void) | undefined
    const listener = (row: TaskExecutionStorageValue | undefined) => {
      woken = true
      finishedRow = row
      wakeWaiter?.()
    }
    let listening = this.listeners.get(executionId)
    if (!listening) this.listeners.set(executionId, (listening = new Set()))
    listening.add(listener)
    return {
      get finishedRow() {
        return finishedRow
      },
      wait: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal?.aborted) return reject(new DurableExecutionCancelledError())
          if (woken) return resolve()
          const settle = (outcome: () => void) => {
            clearTimeout(timer)
            signal?.removeEventListener('abort', onAbort)
            wakeWaiter = undefined
            outcome()
          }
          const onAbort = () => settle(() => reject(new DurableExecutionCancelledError()))
          const timer = setTimeout(() => settle(resolve), ms)
          wakeWaiter = () => settle(resolve)
          signal?.addEventListener('abort', onAbort, { once: true })
        }),
      dispose: () => {
        const current = this.listeners.get(executionId)
        current?.delete(listener)
        if (current?.size === 0) this.listeners.delete(executionId)
      },
    }
  }

  /**
   * Wakes every handle waiting on `executionId` (call it after the finished status is written);
   * `finishedRow` gives the row as written, when the writer knows it, so the handles need not
   * read it (called only when a handle waits or is reachable).
   */
  notify(executionId: string, finishedRow?: () => TaskExecutionStorageValue): void {
    const listening = this.listeners.get(executionId)
    const hasHandles = this.handleCounts.has(executionId)
    if (!listening && !hasHandles) return
    const row = finishedRow?.()
    this.rowsAwaitingFinalize.delete(executionId)
    if (hasHandles && row) this.finishedRows.set(executionId, row)
    if (listening) for (const listener of [...listening]) listener(row)
  }
}
