/**
 * A storage wrapper that reports, after each write succeeded, which executions were completed and
 * which were closed. The workloads use it to know when a drain is done without polling the
 * database (a poll would add statements and transactions of its own to the counts).
 */
import type { TaskExecutionsStorage, TaskExecutionsStorageUpdateByIdRequest } from '../src/index.js'

/** Called with the execution ids a successful write completed or closed. */
export type TrackingListeners = {
  onCompleted?: (executionId: string) => void
  onClosed?: (executionId: string) => void
}

/** `storage`, with `updateManyById` and `updateManyByIdAndInsertChildrenIfUpdated` observed. */
export function trackCompletions(storage: TaskExecutionsStorage, listeners: TrackingListeners): TaskExecutionsStorage {
  const observe = (requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>) => {
    for (const request of requests) {
      if (request.update.status === 'completed') listeners.onCompleted?.(request.executionId)
      if (request.update.closeStatus === 'closed') listeners.onClosed?.(request.executionId)
    }
  }
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property !== 'updateManyById' && property !== 'updateManyByIdAndInsertChildrenIfUpdated') {
        return typeof value === 'function' ? (value as (...args: Array<unknown>) => unknown).bind(target) : value
      }
      const method = value as (requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>) => unknown
      return async (requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>) => {
        const result = await method.call(target, requests)
        observe(requests)
        return result
      }
    },
  })
}
