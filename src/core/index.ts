/**
 * The durable-execution core: contract types, errors, serializer, in-memory storage, batching
 * layer and executor. Imports no drizzle and nothing else from `src`.
 */
export * from './status.js'
export * from './errors.js'
export * from './storage.js'
export * from './storage-requests-error.js'
export * from './serializer.js'
export * from './ids.js'
export * from './internal-update.js'
export * from './read-model.js'
export * from './storage-value.js'
export * from './storage-checks.js'
export * from './mutex.js'
export * from './in-memory-storage.js'
export * from './retention.js'
export * from './batching/index.js'
export * from './executor/index.js'
