/**
 * The executor suites: the end-to-end behaviours of spec 5.2 and the executor scenario of spec
 * 5.1 A, parameterised by a storage factory so every storage runs the same cases.
 */
export { describeDurableExecutorSuite } from './suite.js'
export {
  describeExecutorScenario,
  runExecutorScenario,
  type RunExecutorScenarioOptions,
} from './scenario.js'
export type { DurableExecutorSuiteOptions } from './harness.js'
