/**
 * The batching pieces of the core: the fan-out adapter for single-request storages and the
 * executor-side storage layer that coalesces, retries and times storage calls.
 */
export { TaskExecutionsStorageWithBatching } from './with-batching.js'
export {
  TaskExecutionsStorageLayer,
  MAX_PARENTS_PER_CHILD_RESULTS_CALL,
  MAX_ROWS_PER_BATCHED_CALL,
  MAX_ROWS_PER_BATCHED_REQUEST,
  type TaskExecutionsStorageLayerLogger,
  type TaskExecutionsStorageLayerOptions,
  type UpdateMatch,
} from './storage-layer.js'
export type { StorageMetric, StorageMetricQuantiles } from './storage-stats.js'
