/** What every workload group receives: the mode, the chosen backends and the results collector. */
import type { BackendName } from './backends.js'
import type { BenchResults } from './results.js'

/** The run's settings and collector. */
export type BenchContext = {
  readonly quick: boolean
  readonly backends: ReadonlyArray<BackendName>
  readonly results: BenchResults
  /** Row counts of the ETL workload (`--etl-rows=`); its defaults when absent. */
  readonly etlRows?: ReadonlyArray<number>
}
