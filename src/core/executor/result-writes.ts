/**
 * Run results written together: with storage batching off, each finished run's write would be one
 * statement; with it on, each would wait for a batch window. Here the results that finish in one
 * turn of the event loop (the runs of one claim, typically) go out together at the end of that
 * turn, in one `updateManyById` call, outside the batch windows. Nothing waits for a time window
 * nor for an earlier call: a lone result goes out at once, as before.
 */
import type { TaskExecutionsStorageLayer, UpdateMatch } from '../batching/storage-layer.js'
import type { TaskExecutionsStorageUpdateByIdRequest } from '../storage.js'

/** One result waiting to be written, and its caller. */
type PendingWrite = {
  readonly request: TaskExecutionsStorageUpdateByIdRequest
  readonly resolve: (match: UpdateMatch) => void
  readonly reject: (error: unknown) => void
}

/** Writes by-id updates of run results in shared storage calls, one per turn of the event loop. */
export class RunResultWrites {
  private pending: Array<PendingWrite> = []
  private isScheduled = false

  /** @param storage - the executor's storage layer. */
  constructor(private readonly storage: TaskExecutionsStorageLayer) {}

  /** Writes `request` with the results finishing around it; answers as `updateById`. */
  updateById(request: TaskExecutionsStorageUpdateByIdRequest): Promise<UpdateMatch> {
    return new Promise<UpdateMatch>((resolve, reject) => {
      this.pending.push({ request, resolve, reject })
      this.schedule()
    })
  }

  // The end of the turn, so results finishing in the same turn (one claim's runs) share the call.
  private schedule(): void {
    if (this.isScheduled) return
    this.isScheduled = true
    setImmediate(() => {
      this.isScheduled = false
      void this.send()
    })
  }

  private async send(): Promise<void> {
    const writes = this.pending
    if (writes.length === 0) return
    this.pending = []
    try {
      const outcomes = await this.storage.updateManyById(writes.map((write) => write.request), false)
      outcomes.forEach((outcome, index) => {
        const write = writes[index]!
        if (outcome.status === 'fulfilled') write.resolve(outcome.value)
        else write.reject(outcome.reason)
      })
    } catch (error) {
      for (const write of writes) write.reject(error)
    }
  }
}
