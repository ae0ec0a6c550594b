/**
 * The DataLoader batch scheduler of the storage layer: a batch is sent `windowMs` after its first
 * request, and all waiting batches can be sent at once when the layer shuts down.
 */

/** Schedules batch dispatches after a fixed window and can send every pending one immediately. */
export class BatchWindowScheduler {
  private readonly windowMs: number
  private readonly pending = new Map<() => void, ReturnType<typeof setTimeout>>()

  /** @param windowMs - how long a batch collects requests before it is sent. */
  constructor(windowMs: number) {
    this.windowMs = windowMs
  }

  /** Given to DataLoader as `batchScheduleFn`. */
  readonly schedule = (dispatch: () => void): void => {
    const timer = setTimeout(() => {
      this.pending.delete(dispatch)
      dispatch()
    }, this.windowMs)
    this.pending.set(dispatch, timer)
  }

  /** Sends every waiting batch now and leaves no timer behind. */
  flush(): void {
    for (const [dispatch, timer] of [...this.pending]) {
      clearTimeout(timer)
      this.pending.delete(dispatch)
      dispatch()
    }
  }
}
