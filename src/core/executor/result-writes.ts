/**
 * Run results written together: with storage batching off, each finished run's write would be one
 * statement; with it on, each would wait for a batch window. Here the results that finish in one
 * turn of the event loop (the runs of one claim, typically) go out together at the end of that
 * turn, outside the batch windows: plain results in one `updateManyById` call, results that spawn
 * children in calls of up to {@link MAX_CHILDREN_PER_RESULTS_CALL} children (a hundred parents of
 * fifty children each were a hundred statements that held every pooled connection). Nothing waits
 * for a time window nor for an earlier call: a lone result goes out at once, as before.
 */
import type { TaskExecutionsStorageLayer, UpdateMatch } from '../batching/storage-layer.js'
import type {
  TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  TaskExecutionsStorageUpdateByIdRequest,
} from '../storage.js'

/**
 * Children one storage call of results may insert: the storage splits them into statements its
 * database takes, in one transaction; a few such calls of a busy turn leave pooled connections free.
 */
export const MAX_CHILDREN_PER_RESULTS_CALL = 1000

/** One result waiting to be written, and its caller. */
type PendingWrite<TRequest> = {
  readonly request: TRequest
  readonly resolve: (match: UpdateMatch) => void
  readonly reject: (error: unknown) => void
}

type WithChildren = TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest

/** Writes by-id updates of run results in shared storage calls, one set per turn of the event loop. */
export class RunResultWrites {
  private plain: Array<PendingWrite<TaskExecutionsStorageUpdateByIdRequest>> = []
  private withChildren: Array<PendingWrite<WithChildren>> = []
  private isScheduled = false

  /** @param storage - the executor's storage layer. */
  constructor(private readonly storage: TaskExecutionsStorageLayer) {}

  /** Writes `request` with the results finishing around it; answers as `updateById`. */
  updateById(request: TaskExecutionsStorageUpdateByIdRequest): Promise<UpdateMatch> {
    return new Promise<UpdateMatch>((resolve, reject) => {
      this.plain.push({ request, resolve, reject })
      this.schedule()
    })
  }

  /** Writes `request` (with children) with the results finishing around it; answers as `updateByIdAndInsertChildrenIfUpdated`. */
  updateByIdAndInsertChildrenIfUpdated(request: WithChildren): Promise<UpdateMatch> {
    return new Promise<UpdateMatch>((resolve, reject) => {
      this.withChildren.push({ request, resolve, reject })
      this.schedule()
    })
  }

  // The end of the turn, so results finishing in the same turn (one claim's runs) share the call.
  private schedule(): void {
    if (this.isScheduled) return
    this.isScheduled = true
    setImmediate(() => {
      this.isScheduled = false
      const plain = this.plain
      const withChildren = this.withChildren
      this.plain = []
      this.withChildren = []
      if (plain.length > 0) void send(plain, (requests) => this.storage.updateManyById(requests, false))
      if (withChildren.length > 0) {
        void send(withChildren, (requests) =>
          this.storage.updateManyByIdAndInsertChildrenIfUpdated(requests, false, MAX_CHILDREN_PER_RESULTS_CALL),
        )
      }
    })
  }
}

/** Sends `writes` in one call of `updateMany` and settles each caller with its own outcome. */
async function send<TRequest>(
  writes: ReadonlyArray<PendingWrite<TRequest>>,
  updateMany: (requests: ReadonlyArray<TRequest>) => Promise<Array<PromiseSettledResult<UpdateMatch>>>,
): Promise<void> {
  try {
    const outcomes = await updateMany(writes.map((write) => write.request))
    outcomes.forEach((outcome, index) => {
      const write = writes[index]!
      if (outcome.status === 'fulfilled') write.resolve(outcome.value)
      else write.reject(outcome.reason)
    })
  } catch (error) {
    for (const write of writes) write.reject(error)
  }
}
