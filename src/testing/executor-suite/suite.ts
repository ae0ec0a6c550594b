/**
 * `describeDurableExecutorSuite`: the executor end-to-end suite (spec 5.2 items 28-56, Effect
 * aside) as one vitest `describe` per behaviour group, each test on a fresh storage with its own
 * executors.
 */
import { describe } from 'vitest'

import { describeCancellationBehaviours } from './cancellation.js'
import { describeClosingBehaviours } from './closing.js'
import { describeConcurrencyBehaviours } from './concurrency.js'
import { type DurableExecutorSuiteOptions, useExecutorSuiteContext } from './harness.js'
import { describeLeaseBehaviours } from './leases.js'
import { describeLifecycleBehaviours } from './lifecycle.js'
import { describeParentAndChildBehaviours } from './parents-children.js'
import { describeRetryAndTimeoutBehaviours } from './retries-timeouts.js'
import { describeSequentialAndLoopingBehaviours } from './sequential-looping.js'
import { describeSleepingTaskBehaviours } from './sleeping.js'
import { describeStorageFailureBehaviours } from './storage-failures.js'

/**
 * Declares the executor end-to-end suite under `name`. `options.createStorage` is called before
 * each test and `options.cleanup` after it; every executor a test makes uses 50 ms loops,
 * `logLevel 'error'` and `options.enableStorageBatching`, and is shut down after the test.
 */
export function describeDurableExecutorSuite(
  name: string,
  options: DurableExecutorSuiteOptions,
): void {
  describe(name, () => {
    const context = useExecutorSuiteContext(options)
    describeLifecycleBehaviours(context, options.enableStorageBatching ?? false)
    describeRetryAndTimeoutBehaviours(context)
    describeStorageFailureBehaviours(context)
    describeLeaseBehaviours(context)
    describeParentAndChildBehaviours(context)
    describeSequentialAndLoopingBehaviours(context)
    describeClosingBehaviours(context)
    describeSleepingTaskBehaviours(context)
    describeCancellationBehaviours(context)
    describeConcurrencyBehaviours(context)
  })
}
