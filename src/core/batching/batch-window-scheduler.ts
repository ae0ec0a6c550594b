/**
 * The DataLoader batch scheduler of the storage layer. Each batched method has its own lane, and
 * all waiting batches can be sent at once when the layer shuts down.
 *
 * Within a lane, a new batch is sent:
 * - one window (`storageBackgroundBatchingProcessIntraBatchSleepMs`) after its first request while
 *   the lane is busy (an earlier batch is still being answered), so that requests arriving
 *   meanwhile gather into one batch;
 * - at the next turn of the event loop when the lane is idle: every request made in the current
 *   turn still shares the batch, but a lone request never waits for a window that nothing else
 *   would use (a caller that polls, one request after another, is not slowed by a window each);
 * - at once when it is full (DataLoader only opens a new batch while one is still waiting when
 *   the waiting one has reached its maximum size).
 */

type PendingDispatch = {
  dispatch: () => void
  cancel: () => void
}

/** The `batchScheduleFn` of one DataLoader. */
export type BatchScheduleFunction = (dispatch: () => void) => void

/** Schedules batch dispatches per lane and can send every pending one immediately. */
export class BatchWindowScheduler {
  private readonly windowMs: number
  private readonly pending = new Set<PendingDispatch>()

  /** @param windowMs - how long a batch of a busy lane collects requests, in ms. */
  constructor(windowMs: number) {
    this.windowMs = windowMs
  }

  /**
   * A new lane, to be given to one DataLoader as its `batchScheduleFn`.
   *
   * @param isBusy - whether a batch of this lane is still being answered.
   */
  createLane(isBusy: () => boolean): BatchScheduleFunction {
    let waiting: PendingDispatch | undefined

    const send = (pending: PendingDispatch): void => {
      this.pending.delete(pending)
      if (waiting === pending) waiting = undefined
      pending.dispatch()
    }

    return (dispatch) => {
      const full = waiting
      let fullBatchSent = false
      if (full && this.pending.has(full)) {
        // The waiting batch is full: send it now rather than holding its callers for the window.
        full.cancel()
        waiting = undefined
        fullBatchSent = true
        queueMicrotask(() => {
          if (this.pending.has(full)) send(full)
        })
      }
      let cancel: () => void
      const pending: PendingDispatch = { dispatch, cancel: () => cancel() }
      if (fullBatchSent || isBusy()) {
        const timer = setTimeout(() => send(pending), this.windowMs)
        cancel = () => clearTimeout(timer)
      } else {
        const immediate = setImmediate(() => send(pending))
        cancel = () => clearImmediate(immediate)
      }
      waiting = pending
      this.pending.add(pending)
    }
  }

  /** Sends every waiting batch now and leaves no timer behind. */
  flush(): void {
    for (const pending of [...this.pending]) {
      pending.cancel()
      this.pending.delete(pending)
      pending.dispatch()
    }
  }
}
