/**
 * The executor option sets the workloads compare: the defaults, and the tuned set this benchmark
 * recommends for a single process that does most of the work (short polling backstop, bigger
 * claims and sweeps), each with storage batching off or on.
 */
import type { DurableExecutorOptions } from '../src/index.js'

/** Which option set. */
export type OptionSet = 'default' | 'tuned'

/** Options both sets share: quiet logs, no stats (timing every call costs CPU). */
const COMMON: DurableExecutorOptions = { logLevel: 'error' }

/**
 * The tuned set. In-process wake-ups already start ready work at once; the polling interval is the
 * backstop for work made ready elsewhere, so 100 ms instead of 500 ms costs a few idle statements
 * per second. Claims and sweeps of 200 rows (the sweeps' maximum) halve the round trips of a burst,
 * and a 5 ms batch window keeps batching's added latency small.
 */
export const TUNED_OPTIONS: DurableExecutorOptions = {
  backgroundProcessIntraBatchSleepMs: 100,
  maxTaskExecutionsPerBatch: 200,
  processOnChildrenFinishedTaskExecutionsBatchSize: 200,
  markFinishedTaskExecutionsAsCloseStatusReadyBatchSize: 200,
  closeFinishedTaskExecutionsBatchSize: 200,
  storageBackgroundBatchingProcessIntraBatchSleepMs: 5,
}

/** The options of one configuration. */
export function executorOptions(set: OptionSet, batching: boolean, extra: DurableExecutorOptions = {}): DurableExecutorOptions {
  return { ...COMMON, ...(set === 'tuned' ? TUNED_OPTIONS : {}), enableStorageBatching: batching, ...extra }
}

/** The four configurations of the end-to-end workloads. */
export const CONFIGURATIONS: ReadonlyArray<{ set: OptionSet; batching: boolean }> = [
  { set: 'default', batching: false },
  { set: 'default', batching: true },
  { set: 'tuned', batching: false },
  { set: 'tuned', batching: true },
]

/** `default, batching off`-style label. */
export function configurationLabel(set: OptionSet, batching: boolean): string {
  return `${set} options, batching ${batching ? 'on' : 'off'}`
}

/** The configurations a run covers: all four, or the two extremes in quick mode. */
export function configurationsFor(quick: boolean): ReadonlyArray<{ set: OptionSet; batching: boolean }> {
  return quick ? CONFIGURATIONS.filter((entry) => (entry.set === 'tuned') === entry.batching) : CONFIGURATIONS
}
