/**
 * The storage conformance suite: cases written once (one file per method group) and two entry
 * points over them, the vitest builder `describeTaskExecutionsStorageSuite` and upstream's
 * `runStorageTest`. Rows come from `row-builder.ts`; shared assertions from `assertions.ts`.
 */
export {
  describeTaskExecutionsStorageSuite,
  type TaskExecutionsStorageSuiteOptions,
} from './describe-suite.js'
export { runStorageTest, type RunStorageTestOptions } from './run-storage-test.js'
export {
  buildChildRow,
  buildTaskExecutionRow,
  type BuildTaskExecutionRowOptions,
  parentLinkTo,
  randomExecutionId,
  randomExecutorId,
  randomSleepingTaskUniqueId,
  randomTaskId,
  summaryOf,
} from './row-builder.js'
