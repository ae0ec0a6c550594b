/**
 * Workload 7, the README's ETL pattern on every SQL backend: 100,000 raw rows (10,000 with
 * `--quick`; other counts with `--etl-rows=100000,1000000`) loaded and processed by 4 chunk workers,
 * each run in a child process of its own: seconds per phase and peak RSS, which must not grow
 * with the row count (raw rows are loaded and read a page at a time).
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from '../context.js'
import { runJsonChild } from '../json-child.js'
import { round } from '../stats.js'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'etl-child.ts')

/** Runs workload 7 on every chosen SQL backend. */
export async function runEtlWorkload(context: BenchContext): Promise<void> {
  const rowCounts = context.etlRows ?? (context.quick ? [10_000] : [100_000])
  for (const backend of context.backends.filter((name) => name !== 'memory')) {
    for (const rows of rowCounts) {
      try {
        const result = await runJsonChild(CHILD, [backend, String(rows)], `ETL child for ${backend}`)
        context.results.add({
          workload: 'etl',
          name: `ETL of ${rows} rows, 4 chunk workers, pages of 1,000`,
          backend,
          config: { rows },
          metrics: Object.fromEntries(Object.entries(result).map(([key, value]) => [key, round(value, 1)])),
          chart: { metric: 'totalSeconds', unit: 's to load and process, lower is better' },
        })
      } catch (error) {
        context.results.addError('etl', backend, error)
      }
    }
  }
}
