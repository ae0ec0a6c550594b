/**
 * `durable-execution-drizzle/testing`: conformance suites for anyone writing a storage or a
 * dialect. They import vitest, so they live outside the package root export.
 */
export {
  buildChildRow,
  buildTaskExecutionRow,
  type BuildTaskExecutionRowOptions,
  describeTaskExecutionsStorageSuite,
  parentLinkTo,
  randomExecutionId,
  randomExecutorId,
  randomSleepingTaskUniqueId,
  randomTaskId,
  runStorageTest,
  type RunStorageTestOptions,
  summaryOf,
  type TaskExecutionsStorageSuiteOptions,
} from './storage-suite/index.js'
export {
  describeDurableExecutorSuite,
  describeExecutorScenario,
  type DurableExecutorSuiteOptions,
  runExecutorScenario,
  type RunExecutorScenarioOptions,
} from './executor-suite/index.js'
export {
  describeJobStoreSuite,
  type JobStoreSuiteOptions,
  type OpenedJobStore,
} from './job-store-suite/index.js'
