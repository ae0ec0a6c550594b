/**
 * Run results written together (group commit): with storage batching off, each finished run's
 * write would be one statement; with it on, each would wait for a batch window. Here the results
 * that finish while no write of them is in flight go out at the end of the current turn of the
 * event loop, and the results that finish while one is in flight go out together as soon as it
 * answers, in one `updateManyById` call, outside the batch windows. Nothing waits for a time
 * window: a lone result goes out at once, and a burst costs one call per round trip.
 */
import type { TaskExecutionsStorageLayer, UpdateMatch } from '../batching/storage-layer.js'
import type { TaskExecutionsStorageUpdateByIdRequest } from '../storage.js'

/** One result waiting to be written, and its caller. */
type PendingWrite = {
  readonly request: TaskExecutionsStorageUpdateByIdRequest
  readonly resolve: (match: UpdateMatch) => void
  readonly reject: (error: unknown) => void
}

/** Writes by-id updates of run results in shared storage calls, one call in flight at a time. */
export class RunResultWrites {
  private pending: Array<PendingWrite> = []
  private isSending = false
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
    if (this.isSending || this.isScheduled) return
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
    this.isSending = true
    try {
      const outcomes = await this.storage.updateManyById(writes.map((write) => write.request), false)
      outcomes.forEach((outcome, index) => {
        const write = writes[index]!
        if (outcome.status === 'fulfilled') write.resolve(outcome.value)
        else write.reject(outcome.reason)
      })
    } catch (error) {
      for (const write of writes) write.reject(error)
    } finally {
      this.isSending = false
      // What finished meanwhile goes out now, together.
      if (this.pending.length > 0) this.schedule()
    }
  }
}
